#!/usr/bin/env python3
"""A Kinesis Data Streams + Firehose endpoint for tests and benchmarks, with faults on demand.

It answers PutRecords (X-Amz-Target: Kinesis_20131202.PutRecords) and PutRecordBatch
(Firehose_20150804.PutRecordBatch) over the JSON 1.1 protocol as the AWS API references
describe them: request limits checked with the documented errors, a result per record
(SequenceNumber/ShardId or RecordId, else ErrorCode/ErrorMessage), FailedRecordCount /
FailedPutCount. Signatures are not verified (an Authorization header is required).

Faults, from flags or at runtime via POST /_control with a JSON object of the same names:
  fail_fraction      fraction of records failing with ProvisionedThroughputExceededException
                     (Firehose: ServiceUnavailableException), on every request
  error_burst        the next N requests fail whole with HTTP error_status (500/503)
  error_status       status of those failures (default 503)
  error_burst_after  let this many requests through before the burst starts
  delay              seconds to wait before answering each request
  drop_connections   the next N requests get their connection closed without an answer
  expired_token      the next N requests get 400 ExpiredTokenException
  expired_token_value  requests whose X-Amz-Security-Token equals this get ExpiredTokenException
  streams            list of stream names that exist (others: ResourceNotFoundException); empty: all
  reset_stats        true: zero the counters and forget kept records

GET /stats: counters as JSON. GET /_records: the accepted records (with --keep-records).
Binds 127.0.0.1 on --port (0: a free one) and prints the port on the first line of stdout.
"""
import argparse
import base64
import hashlib
import json
import random
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINESIS_TARGET = "Kinesis_20131202.PutRecords"
FIREHOSE_TARGET = "Firehose_20150804.PutRecordBatch"
MIB = 1024 * 1024


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.fail_fraction = args.fail_fraction
        self.error_burst = args.error_burst
        self.error_status = args.error_status
        self.error_burst_after = args.error_burst_after
        self.delay = args.delay
        self.drop_connections = args.drop_connections
        self.expired_token = args.expired_token
        self.expired_token_value = args.expired_token_value
        self.streams = set(args.streams or [])
        self.shards = args.shards
        self.keep_records = args.keep_records
        self.record_file = open(args.record_file, "a", buffering=1) if args.record_file else None
        self.random = random.Random(args.seed)
        self.sequence = 0
        self.reset_stats()

    def reset_stats(self):
        self.stats = {
            "requests": 0, "records_received": 0, "records_accepted": 0, "records_failed": 0,
            "bytes_accepted": 0, "whole_request_errors": {}, "record_errors": {}, "per_stream": {},
            "requests_log": [],
        }
        self.records = []

    def control(self, changes):
        with self.lock:
            for key, value in changes.items():
                if key == "reset_stats":
                    if value:
                        self.reset_stats()
                elif key == "streams":
                    self.streams = set(value or [])
                elif key in ("fail_fraction", "error_burst", "error_status", "error_burst_after", "delay", "drop_connections",
                             "expired_token", "expired_token_value"):
                    setattr(self, key, value)
                else:
                    raise KeyError(key)

    def count_error(self, code):
        errors = self.stats["whole_request_errors"]
        errors[code] = errors.get(code, 0) + 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kinesis-test-endpoint"

    def log_message(self, format, *args):
        pass

    def send_json(self, status, document, extra_headers=()):
        body = json.dumps(document, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", "%032x" % random.getrandbits(128))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_error_document(self, status, code, message):
        self.server.state.count_error(code)
        self.send_json(status, {"__type": code, "message": message}, [("x-amzn-ErrorType", code)])

    def do_GET(self):
        state = self.server.state
        if self.path.startswith("/stats"):
            with state.lock:
                self.send_json(200, state.stats)
        elif self.path.startswith("/_records"):
            with state.lock:
                self.send_json(200, state.records)
        else:
            self.send_json(404, {"message": "not found"})

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_POST(self):
        state = self.server.state
        body = self.read_body()
        if self.path.startswith("/_control"):
            try:
                state.control(json.loads(body or b"{}"))
            except (KeyError, ValueError) as error:
                self.send_json(400, {"message": "bad control: %s" % error})
                return
            self.send_json(200, {"ok": True})
            return
        target = self.headers.get("X-Amz-Target", "")
        with state.lock:
            state.stats["requests"] += 1
            if state.drop_connections > 0:
                state.drop_connections -= 1
                state.count_error("dropped_connection")
                drop = True
            else:
                drop = False
            delay = state.delay
        if drop:
            self.close_connection = True
            self.connection.close()
            return
        if delay:
            time.sleep(delay)
        if target not in (KINESIS_TARGET, FIREHOSE_TARGET):
            self.send_error_document(400, "UnknownOperationException", "unknown target %s" % target)
            return
        if "Authorization" not in self.headers:
            self.send_error_document(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
            return
        with state.lock:
            if state.error_burst > 0 and state.error_burst_after > 0:
                state.error_burst_after -= 1
                burst = None
            elif state.error_burst > 0:
                state.error_burst -= 1
                status = state.error_status
                code = "InternalFailure" if status == 500 else "ServiceUnavailable"
                burst = (status, code)
            else:
                burst = None
            expired = False
            if state.expired_token > 0:
                state.expired_token -= 1
                expired = True
            if state.expired_token_value and self.headers.get("X-Amz-Security-Token") == state.expired_token_value:
                expired = True
        if burst:
            self.send_error_document(burst[0], burst[1], "injected %d" % burst[0])
            return
        if expired:
            self.send_error_document(400, "ExpiredTokenException", "The security token included in the request is expired")
            return
        try:
            request = json.loads(body)
        except ValueError:
            self.send_error_document(400, "SerializationException", "request body is not JSON")
            return
        if target == KINESIS_TARGET:
            self.put_records(state, request)
        else:
            self.put_record_batch(state, request)

    def validate(self, records, max_count, max_total, max_record, firehose):
        if not isinstance(records, list) or len(records) < 1:
            return ("ValidationException", "1 validation error detected: Value null at 'records' failed to satisfy "
                    "constraint: Member must have length greater than or equal to 1")
        if len(records) > max_count:
            return ("ValidationException", "1 validation error detected: Value '[...]' at 'records' failed to satisfy "
                    "constraint: Member must have length less than or equal to %d" % max_count)
        decoded = []
        total = 0
        for index, record in enumerate(records):
            try:
                data = base64.b64decode(record.get("Data", ""), validate=True)
            except Exception:
                return ("SerializationException", "record %d: Data is not valid base64" % index)
            key = record.get("PartitionKey")
            if not firehose:
                if key is None or not (1 <= len(key) <= 256):
                    return ("ValidationException", "1 validation error detected: Value at 'records.%d.member.partitionKey' "
                            "failed to satisfy constraint: Member must have length between 1 and 256" % (index + 1))
            size = len(data) + (len(key.encode()) if key else 0)
            if size > max_record:
                return ("ValidationException", "1 validation error detected: Value at 'records.%d.member.data' failed "
                        "to satisfy constraint: Member must have length less than or equal to %d" % (index + 1, max_record))
            total += size
            decoded.append((data, key))
        if total > max_total:
            return ("InvalidArgumentException", "Records size exceeds %d MB limit" % (max_total // MIB))
        return decoded

    def accept(self, state, stream, records, failing_code, failing_message, make_ok):
        results = []
        failed = 0
        with state.lock:
            per = state.stats["per_stream"].setdefault(stream, {"accepted": 0, "failed": 0})
            for data, key in records:
                if state.fail_fraction and state.random.random() < state.fail_fraction:
                    failed += 1
                    results.append({"ErrorCode": failing_code, "ErrorMessage": failing_message})
                    errors = state.stats["record_errors"]
                    errors[failing_code] = errors.get(failing_code, 0) + 1
                    continue
                state.sequence += 1
                results.append(make_ok(state.sequence, key))
                state.stats["bytes_accepted"] += len(data)
                if state.keep_records:
                    state.records.append({"stream": stream, "key": key, "data": base64.b64encode(data).decode()})
                if state.record_file:
                    state.record_file.write(json.dumps(
                        {"stream": stream, "key": key, "data": base64.b64encode(data).decode()}) + "\n")
            accepted = len(records) - failed
            per["accepted"] += accepted
            per["failed"] += failed
            state.stats["records_received"] += len(records)
            state.stats["records_accepted"] += accepted
            state.stats["records_failed"] += failed
            log = state.stats["requests_log"]
            if len(log) < 100000:
                log.append({"records": len(records), "failed": failed})
        return results, failed

    def stream_exists(self, state, name):
        return not state.streams or name in state.streams

    def put_records(self, state, request):
        stream = request.get("StreamName") or ""
        if not stream:
            self.send_error_document(400, "ValidationException", "StreamName is required")
            return
        if not self.stream_exists(state, stream):
            self.send_error_document(
                400, "ResourceNotFoundException", "Stream %s under account 123456789012 not found." % stream)
            return
        checked = self.validate(request.get("Records"), 500, 5 * MIB, MIB, firehose=False)
        if isinstance(checked, tuple):
            self.send_error_document(400, checked[0], checked[1])
            return

        def ok(sequence, key):
            shard = int(hashlib.md5(key.encode()).hexdigest(), 16) % state.shards
            return {"SequenceNumber": "4959%052d" % sequence, "ShardId": "shardId-%012d" % shard}

        results, failed = self.accept(
            state, stream, checked, "ProvisionedThroughputExceededException",
            "Rate exceeded for shard shardId-000000000000 in stream %s under account 123456789012." % stream, ok)
        self.send_json(200, {"FailedRecordCount": failed, "Records": results, "EncryptionType": "NONE"})

    def put_record_batch(self, state, request):
        stream = request.get("DeliveryStreamName") or ""
        if not self.stream_exists(state, stream):
            self.send_error_document(
                400, "ResourceNotFoundException",
                "Firehose %s under account 123456789012 not found." % stream)
            return
        checked = self.validate(request.get("Records"), 500, 4 * MIB, 1000 * 1024, firehose=True)
        if isinstance(checked, tuple):
            self.send_error_document(400, checked[0], checked[1])
            return

        def ok(sequence, key):
            return {"RecordId": "%064d" % sequence}

        results, failed = self.accept(state, stream, checked, "ServiceUnavailableException", "Slow down.", ok)
        self.send_json(200, {"FailedPutCount": failed, "Encrypted": False, "RequestResponses": results})


def main():
    # A parent may have blocked these (libdispatch threads do); make SIGTERM and SIGINT stop us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fail-fraction", type=float, default=0.0)
    parser.add_argument("--error-burst", type=int, default=0)
    parser.add_argument("--error-status", type=int, default=503)
    parser.add_argument("--error-burst-after", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--drop-connections", type=int, default=0)
    parser.add_argument("--expired-token", type=int, default=0)
    parser.add_argument("--expired-token-value", default=None)
    parser.add_argument("--streams", nargs="*", default=None)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-records", action="store_true")
    parser.add_argument("--record-file", default=None)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
