#!/usr/bin/env python3
"""Helpers for scripts/run-local: serve a local Kinesis endpoint (moto), create a stream on it,
send events to Runnel with fluent-logger (or over HTTP: in_http batches and CloudEvents), and
read every record back to check none was lost."""
import argparse
import json
import socket
import sys
import time

import boto3


def client(endpoint):
    return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def wait_for_port(port, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"nothing listens on 127.0.0.1:{port} after {seconds}s")


def create(args):
    port = int(args.endpoint.rsplit(":", 1)[1])
    wait_for_port(port)
    kinesis = client(args.endpoint)
    kinesis.create_stream(StreamName=args.stream, ShardCount=args.shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=args.stream, WaiterConfig={"Delay": 0.2})
    print(f"stream {args.stream} with {args.shards} shards at {args.endpoint}")


def send(args):
    from fluent import sender
    wait_for_port(args.port)
    logger = sender.FluentSender("app", host="127.0.0.1", port=args.port, timeout=10)
    for i in range(args.events):
        if not logger.emit("web", {"user_id": f"user-{i % 37}", "seq": i, "message": f"GET /orders/{i} 200"}):
            sys.exit(f"fluent-logger could not send event {i}: {logger.last_error}")
    logger.close()
    print(f"sent {args.events} events with fluent-logger to 127.0.0.1:{args.port}")


def post(args):
    """Posts --events events to an HTTP input: in_http JSON batches of --batch, then as many again
    as CloudEvents (binary, structured and batched in turn), each event numbered in `seq`."""
    import requests
    from cloudevents.core.bindings.http import to_binary, to_structured
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.core.v1.event import CloudEvent
    wait_for_port(args.port)
    base = f"http://127.0.0.1:{args.port}"
    session = requests.Session()
    fmt = JSONFormat()

    def check(response):
        if response.status_code not in (200, 204):
            sys.exit(f"{response.request.url} answered {response.status_code}: {response.text}")

    for start in range(0, args.events, args.batch):
        batch = [{"seq": seq, "user_id": f"user-{seq % 37}", "message": f"GET /orders/{seq} 200"}
                 for seq in range(start, min(start + args.batch, args.events))]
        check(session.post(f"{base}/app.web", json=batch))
    modes = 0
    for start in range(args.events, 2 * args.events, args.batch):
        events = [CloudEvent({"type": "order.created", "source": "/shop", "id": f"ce-{seq}"}, {"seq": seq})
                  for seq in range(start, min(start + args.batch, 2 * args.events))]
        if modes % 3 == 2:
            body = b"[" + b",".join(fmt.write(event) for event in events) + b"]"
            check(session.post(f"{base}/", data=body, headers={"Content-Type": "application/cloudevents-batch+json"}))
        else:
            for event in events:
                message = to_binary(event, fmt) if modes % 3 == 0 else to_structured(event, fmt)
                check(session.post(f"{base}/", data=message.body, headers=message.headers))
        modes += 1
    print(f"posted {2 * args.events} events over HTTP to 127.0.0.1:{args.port}")


def read_all(kinesis, stream):
    records = []
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    for shard in shards:
        iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            records.extend(page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return records


def verify(args):
    kinesis = client(args.endpoint)
    deadline = time.time() + args.timeout
    while True:
        records = read_all(kinesis, args.stream)
        seqs = {json.loads(r["Data"])["seq"] for r in records}
        if len(seqs) >= args.events or time.time() > deadline:
            break
        time.sleep(0.5)
    missing = set(range(args.events)) - seqs
    wrong_keys = [r for r in records if json.loads(r["Data"]).get("user_id") != r["PartitionKey"]]
    print(f"read back {len(records)} records ({len(seqs)} distinct events) from stream {args.stream}")
    if wrong_keys:
        sys.exit(f"{len(wrong_keys)} records have a partition key other than their user_id, e.g. {wrong_keys[0]}")
    if records:
        r = records[0]
        print(f"first record: partition key {r['PartitionKey']!r}, data {r['Data'].decode()!s}")
    if missing:
        sys.exit(f"{len(missing)} events missing, e.g. {sorted(missing)[:10]}")
    print("every event arrived")


def dump(args):
    """Waits until the stream holds at least --records records, then prints each record's data
    (one JSON document a line), so a caller can check exactly what arrived."""
    kinesis = client(args.endpoint)
    deadline = time.time() + args.timeout
    while True:
        records = read_all(kinesis, args.stream)
        if len(records) >= args.records or time.time() > deadline:
            break
        time.sleep(0.5)
    for record in records:
        print(record["Data"].decode().rstrip("\n"))


def serve(args):
    """moto on 127.0.0.1, one request at a time: moto's backends do not lock, and concurrent
    PutRecords to one stream lose records it answered as stored (16,000 answered, 15,925 read
    back from 8 threads), while Runnel sends several requests at once."""
    import threading
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    server = make_server("127.0.0.1", args.port, serialized, threaded=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(server.port))
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve"); p.add_argument("--port", type=int, default=0); p.add_argument("--port-file")
    p = sub.add_parser("create"); p.add_argument("--endpoint"); p.add_argument("--stream"); p.add_argument("--shards", type=int, default=2)
    p = sub.add_parser("send"); p.add_argument("--port", type=int); p.add_argument("--events", type=int)
    p = sub.add_parser("post"); p.add_argument("--port", type=int); p.add_argument("--events", type=int); p.add_argument("--batch", type=int, default=100)
    p = sub.add_parser("verify"); p.add_argument("--endpoint"); p.add_argument("--stream"); p.add_argument("--events", type=int); p.add_argument("--timeout", type=float, default=60)
    p = sub.add_parser("dump"); p.add_argument("--endpoint"); p.add_argument("--stream"); p.add_argument("--records", type=int); p.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    {"serve": serve, "create": create, "send": send, "post": post, "verify": verify, "dump": dump}[args.command](args)


if __name__ == "__main__":
    main()
