#!/usr/bin/env python3
"""A Forward protocol v1 client written from the specification with the `msgpack` package,
as an independent peer for Runnel's in_forward tests.

usage: spec_client.py HOST PORT MODE [--count N] [--tag TAG] [--ack] [--shared-key KEY]
       [--hostname NAME] [--username U --password P]
MODE: message | forward | packed | compressed
Prints "OK <events>" and exits 0 when every message was sent (and acknowledged with --ack).
"""
import argparse
import gzip
import hashlib
import os
import socket
import struct
import sys
import time

try:
    import msgpack
except ImportError:
    print("SKIP msgpack not installed")
    sys.exit(77)


def event_time(seconds, nanos):
    return msgpack.ExtType(0, struct.pack(">II", seconds, nanos))


def sha512_hex(*parts):
    digest = hashlib.sha512()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
    return digest.hexdigest()


class Connection:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=20)
        self.unpacker = msgpack.Unpacker(raw=False)

    def send(self, value):
        self.sock.sendall(msgpack.packb(value, use_bin_type=True))

    def receive(self):
        while True:
            for value in self.unpacker:
                return value
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("connection closed by server")
            self.unpacker.feed(data)


def handshake(conn, args):
    helo = conn.receive()
    assert helo[0] == "HELO", helo
    options = helo[1]
    nonce = options["nonce"]
    nonce = nonce if isinstance(nonce, bytes) else nonce.encode()
    auth = options.get("auth") or b""
    auth = auth if isinstance(auth, bytes) else auth.encode()
    salt = os.urandom(16)
    username, password_digest = "", ""
    if auth:
        username = args.username or ""
        password_digest = sha512_hex(auth, username, args.password or "")
    conn.send(["PING", args.hostname, salt, sha512_hex(salt, args.hostname, nonce, args.shared_key), username, password_digest])
    pong = conn.receive()
    assert pong[0] == "PONG", pong
    if not pong[1]:
        raise RuntimeError("authentication refused: %s" % pong[2])
    expected = sha512_hex(salt, pong[3], nonce, args.shared_key)
    if pong[4] != expected:
        raise RuntimeError("server digest mismatch")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("mode", choices=["message", "forward", "packed", "compressed"])
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--tag", default="spec.test")
    parser.add_argument("--ack", action="store_true")
    parser.add_argument("--shared-key")
    parser.add_argument("--hostname", default="spec-client")
    parser.add_argument("--username")
    parser.add_argument("--password")
    args = parser.parse_args()

    conn = Connection(args.host, args.port)
    if args.shared_key:
        handshake(conn, args)

    base = 1700000000
    entries = [(event_time(base + i, i * 1000), {"message": "spec event %d" % i, "n": i}) for i in range(args.count)]
    chunks = []

    def option(extra=None):
        opt = dict(extra or {})
        if args.ack:
            chunk = os.urandom(16).hex()
            chunks.append(chunk)
            opt["chunk"] = chunk
        return opt

    if args.mode == "message":
        for t, record in entries:
            message = [args.tag, t, record]
            opt = option()
            if opt:
                message.append(opt)
            conn.send(message)
    elif args.mode == "forward":
        conn.send([args.tag, [[t, r] for t, r in entries], option({"size": len(entries)})])
    else:
        packed = b"".join(msgpack.packb([t, r], use_bin_type=True) for t, r in entries)
        if args.mode == "packed":
            conn.send([args.tag, packed, option({"size": len(entries)})])
        else:
            # Two gzip members concatenated, as several compressed appends produce.
            half = len(packed) // 2
            cut = 0
            offset = 0
            unpacker = msgpack.Unpacker(raw=False)
            unpacker.feed(packed)
            for _ in unpacker:
                offset = unpacker.tell()
                if offset >= half:
                    cut = offset
                    break
            payload = gzip.compress(packed[:cut]) + gzip.compress(packed[cut:])
            conn.send([args.tag, payload, option({"size": len(entries), "compressed": "gzip"})])

    for chunk in chunks:
        answer = conn.receive()
        if answer.get("ack") != chunk:
            raise RuntimeError("ack %r does not match chunk %r" % (answer, chunk))
    conn.sock.close()
    print("OK %d" % len(entries))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - report any failure to the Swift test
        print("FAIL %s" % error)
        sys.exit(1)
