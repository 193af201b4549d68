#!/usr/bin/env python3
"""Sends events to HOST:PORT with the fluent-logger package (PyPI `fluent-logger`).

usage: fluent_logger_client.py HOST PORT sync|async COUNT
Tag is `pylogger.<mode>`; records are {"message": "...", "n": i}. Prints "OK <count>".
"""
import sys
import time

try:
    from fluent import asyncsender, sender
except ImportError:
    print("SKIP fluent-logger not installed")
    sys.exit(77)


def main():
    host, port, mode, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    if mode == "sync":
        logger = sender.FluentSender("pylogger", host=host, port=port, nanosecond_precision=True, timeout=10)
    else:
        logger = asyncsender.FluentSender("pylogger", host=host, port=port, timeout=10)
    for i in range(count):
        ok = logger.emit_with_time(mode, 1700000000 + i, {"message": "fluent-logger event %d" % i, "n": i})
        if not ok:
            print("FAIL %s" % logger.last_error)
            sys.exit(1)
    logger.close()
    print("OK %d" % count)


if __name__ == "__main__":
    main()
