"""Run a Python program on uvloop: ``python bench/on_uvloop.py program.py [args...]``.

The lab's aiortc peer has no uvloop switch; this sets uvloop's event loop policy and runs the
program as ``__main__``, so that ``asyncio.run`` inside it gets a uvloop loop. Used by
``bench/lab_matrix.py`` to measure aiortc on uvloop next to our peer on uvloop.
"""

from __future__ import annotations

import asyncio
import runpy
import sys

import uvloop

if __name__ == "__main__":
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    program = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(program, run_name="__main__")
