"""How many lines a command leaves on a terminal: run it in a pseudo-terminal, replay what it wrote.

    python bench/console_lines.py -- .venv/bin/germinate run          # a default run (long)
    python bench/console_lines.py --typescript run.typescript         # a `script` recording
    python bench/console_lines.py --show -- .venv/bin/germinate curate --input data.json

A progress bar redrawn in place is one line, as a person sees it: the replay follows carriage
returns, cursor-up and erase-line sequences (what rich and tqdm use) and drops colours. Lines
that look like a library's warning are counted apart.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import subprocess
import sys

CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07]*\x07|\x1b[()][A-Za-z0-9]")
WARNING = re.compile(r"WARNING|Warning|warn\(|^W\d{4} |\[W\d{4}")


def screen_lines(text: str) -> list[str]:
    """The lines left on the screen (scrollback included) after replaying `text`."""
    lines: list[list[str]] = [[]]
    row = col = 0
    pos = 0
    for match in CSI.finditer(text + "\x1b[0m"):
        for ch in text[pos:match.start()]:
            if ch == "\n":
                row, col = row + 1, 0
                if row == len(lines):
                    lines.append([])
            elif ch == "\r":
                col = 0
            elif ch == "\b":
                col = max(0, col - 1)
            elif ch >= " " or ch == "\t":
                line = lines[row]
                line.extend(" " * (col - len(line)))
                if col < len(line):
                    line[col] = ch
                else:
                    line.append(ch)
                col += 1
        pos = match.end()
        args, op = match.group(1), match.group(2)
        if op == "A":  # cursor up
            row = max(0, row - int(args or 1))
        elif op == "B":
            row = min(len(lines) - 1, row + int(args or 1))
        elif op == "K":  # erase in line
            if args in ("", "0"):
                del lines[row][col:]
            elif args == "2":
                lines[row] = []
            else:
                lines[row][:col] = [" "] * col
        elif op == "G":
            col = max(0, int(args or 1) - 1)
    return ["".join(line).rstrip() for line in lines if "".join(line).strip()]


def record(argv: list[str]) -> str:
    """Run `argv` with stdout and stderr on a pseudo-terminal (100 x 40); everything it wrote."""
    master, slave = pty.openpty()
    os.system(f"stty cols 100 rows 40 < {os.ttyname(slave)}")
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--typescript", help="replay a `script` recording instead of running a command")
    parser.add_argument("--show", action="store_true", help="print the lines too")
    parser.add_argument("command", nargs="*")
    args = parser.parse_args()
    if args.typescript:
        text = open(args.typescript, "rb").read().decode("utf-8", "replace")
        text = text.split("\n", 1)[1] if text.startswith("Script started") else text
        text = re.sub(r"\n?Script done.*$", "", text, flags=re.S)
    elif args.command:
        text = record(args.command)
    else:
        sys.exit("give a command after --, or --typescript FILE")
    lines = screen_lines(text)
    warnings = [line for line in lines if WARNING.search(line)]
    if args.show:
        for line in lines:
            print("|", line)
    print(f"{len(lines)} lines on the terminal, {len(warnings)} of them warnings")


if __name__ == "__main__":
    main()
