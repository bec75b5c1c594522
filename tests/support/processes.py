"""Starting this project's own modules as separate OS processes, for tests that need real processes
(signals, exit codes, several replicas on one database)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


def clean_env(**values: str) -> dict[str, str]:
    """Only what Python needs: nothing from a developer's shell or `.env` leaks into the run."""
    kept = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return kept | {"PYTHONPATH": str(ROOT)} | values


async def start_module(
    module: str, *args: str, env: dict[str, str], cwd: Path = ROOT
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


async def finish(*processes: asyncio.subprocess.Process, timeout: float = 120) -> list[Finished]:
    """Wait for every process and collect what it printed."""
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in processes)), timeout=timeout)
    return [
        Finished(process.returncode if process.returncode is not None else -1, out.decode(), err.decode())
        for process, (out, err) in zip(processes, outputs, strict=True)
    ]
