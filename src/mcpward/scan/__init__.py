"""``mcpward scan``: an offline inventory of the MCP servers on a machine, with config risks.

>>> from mcpward.scan import ScanOptions, run_scan
>>> report = run_scan(ScanOptions(home=Path("/mnt/image/home/alice"), target_os=TargetOS.MACOS))
"""

from mcpward.scan._engine import ScanOptions, discover, run_scan
from mcpward.scan._hosts import host, host_ids
from mcpward.scan._project_tree import DEFAULT_SKIP_DIRS
from mcpward.scan.interface import DiscoveredServer, HostApp, LaunchKeys, TargetOS

__all__ = [
    "DEFAULT_SKIP_DIRS",
    "DiscoveredServer",
    "HostApp",
    "LaunchKeys",
    "ScanOptions",
    "TargetOS",
    "discovered_servers",
    "host",
    "host_ids",
    "run_scan",
]


def discovered_servers(options: ScanOptions) -> list[DiscoveredServer]:
    """The servers the scan's host applications declare in their configs (no checks, no
    findings): what ``wrap`` rewrites and ``inspect`` connects to. Not what platforms keep in
    their databases and flows, nor what runs or listens: those are inventoried, never rewritten
    or started from here."""
    clients = set(host_ids())
    return [
        s for s in discover(options).servers if s.host in clients and s.source == "config" and not s.served
    ]
