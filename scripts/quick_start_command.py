"""Print the Nth (0 or 1) command of the README's quick start, for .ci/run, which runs them verbatim."""

import re
import sys
from pathlib import Path

section = Path("README.md").read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
if len(blocks) != 2 or any(block.count("\n") != 1 for block in blocks):
    sys.exit("README.md: the quick start must have exactly two one-line sh commands")
print(blocks[int(sys.argv[1])].strip())
