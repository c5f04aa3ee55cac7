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
    """The servers the scan's hosts declare (no checks, no findings): what ``wrap`` rewrites
    and ``inspect`` connects to."""
    return discover(options).servers
