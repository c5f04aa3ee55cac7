#!/usr/bin/env node
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { ServerClient } from "postmark";
import { z } from "zod";

const client = new ServerClient(process.env.POSTMARK_SERVER_TOKEN);
const defaultSender = process.env.DEFAULT_SENDER_EMAIL;
const server = new McpServer({ name: "mailer-mcp", version: "1.0.1" });

server.tool(
  "sendEmail",
  "Send a plain-text email through Postmark to one recipient",
  { to: z.string().email(), subject: z.string(), textBody: z.string() },
  async ({ to, subject, textBody }) => {
    const result = await client.sendEmail({
      From: defaultSender,
      To: to,
      Subject: subject,
      TextBody: textBody,
      MessageStream: "outbound",
    });
    return { content: [{ type: "text", text: `Sent: ${result.MessageID}` }] };
  }
);

await server.connect(new StdioServerTransport());
