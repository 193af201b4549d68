#!/usr/bin/env python3
"""Sign a table of requests with botocore's SigV4Auth at fixed times and write JSON fixtures.

The Swift tests (Tests/RunnelSigV4Tests) sign the same requests with RunnelSigV4 and compare the
canonical request, string to sign, signature and Authorization header separately, so botocore is
the oracle we did not write.

    python3 scripts/gen-sigv4-fixtures.py            # writes Tests/RunnelSigV4Tests/Fixtures/*.json

Each case gives the raw query pairs (the Swift signer encodes them); the URL handed to botocore
carries them encoded with quote(safe='-_.~'), as AWS clients send them.
"""
import datetime
import json
import os
import sys
from urllib.parse import quote

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "RunnelSigV4Tests", "Fixtures")

KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token/with+slash="

T0 = 1440938160  # 2015-08-30T12:36:00Z, the AWS test-suite date
T1 = 1767225599  # 2025-12-31T23:59:59Z, one second before a new day
T2 = 1767225600  # 2026-01-01T00:00:00Z

PUT_RECORDS = json.dumps({
    "StreamName": "logs",
    "Records": [{"Data": "eyJtZXNzYWdlIjoiaGVsbG8ifQo=", "PartitionKey": "k1"}],
}, separators=(",", ":"))
KINESIS_HEADERS = [
    ["Content-Type", "application/x-amz-json-1.1"],
    ["X-Amz-Target", "Kinesis_20131202.PutRecords"],
]

CASES = [
    dict(name="get-sts-caller-identity", service="sts", region="us-east-1", method="GET", scheme="https",
         host="sts.amazonaws.com", path="/", query=[["Action", "GetCallerIdentity"], ["Version", "2011-06-15"]],
         headers=[], body="", time=T0),
    dict(name="get-query-unusual-characters", service="execute-api", region="us-west-2", method="GET",
         scheme="https", host="example.amazonaws.com", path="/",
         query=[["b", "x y"], ["a", "ü+*"], ["c", "a=b&c"], ["slash", "/p/q"], ["tilde~", "~._-"],
                ["empty", ""], ["%", "100%"], ["A", "upper"], ["quote", "\"'()!"]],
         headers=[], body="", time=T0),
    dict(name="get-query-repeated-keys", service="execute-api", region="us-west-2", method="GET",
         scheme="https", host="example.amazonaws.com", path="/",
         query=[["a", "2"], ["a", "10"], ["a", "1"], ["b", "z"], ["a", ""]],
         headers=[], body="", time=T0),
    dict(name="post-kinesis-put-records", service="kinesis", region="us-east-1", method="POST", scheme="https",
         host="kinesis.us-east-1.amazonaws.com", path="/", query=[], headers=KINESIS_HEADERS,
         body=PUT_RECORDS, time=T0),
    dict(name="post-kinesis-session-token", service="kinesis", region="eu-west-1", method="POST",
         scheme="https", host="kinesis.eu-west-1.amazonaws.com", path="/", query=[], headers=KINESIS_HEADERS,
         body=PUT_RECORDS, time=T1, token=TOKEN),
    dict(name="post-kinesis-localhost-port", service="kinesis", region="us-east-1", method="POST",
         scheme="http", host="localhost:4567", path="/", query=[], headers=KINESIS_HEADERS,
         body=PUT_RECORDS, time=T2),
    dict(name="post-firehose-ap-northeast-1", service="firehose", region="ap-northeast-1", method="POST",
         scheme="https", host="firehose.ap-northeast-1.amazonaws.com", path="/", query=[],
         headers=[["Content-Type", "application/x-amz-json-1.1"],
                  ["X-Amz-Target", "Firehose_20150804.PutRecordBatch"]],
         body='{"DeliveryStreamName":"s","Records":[]}', time=T1),
    dict(name="post-sts-assume-role-form", service="sts", region="eu-central-1", method="POST", scheme="https",
         host="sts.eu-central-1.amazonaws.com", path="/", query=[],
         headers=[["Content-Type", "application/x-www-form-urlencoded; charset=utf-8"]],
         body="Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr"
              "&RoleSessionName=runnel", time=T0, token=TOKEN),
    dict(name="path-with-spaces", service="execute-api", region="us-east-1", method="GET", scheme="https",
         host="example.amazonaws.com", path="/my path/with spaces", query=[], headers=[], body="", time=T0),
    dict(name="path-unicode", service="execute-api", region="us-east-1", method="GET", scheme="https",
         host="example.amazonaws.com", path="/ünï/cødé/日本", query=[], headers=[], body="", time=T0),
    dict(name="path-dot-segments", service="execute-api", region="us-east-1", method="GET", scheme="https",
         host="example.amazonaws.com", path="/a/./b/../c//d/", query=[], headers=[], body="", time=T0),
    dict(name="path-dot-segments-above-root", service="execute-api", region="us-east-1", method="GET",
         scheme="https", host="example.amazonaws.com", path="/../../x/.", query=[], headers=[], body="",
         time=T0),
    dict(name="path-already-encoded", service="execute-api", region="us-east-1", method="GET", scheme="https",
         host="example.amazonaws.com", path="/a%20b/c%2Fd/e+f", query=[["q", "1"]], headers=[], body="",
         time=T0),
    dict(name="headers-whitespace-and-repeats", service="monitoring", region="sa-east-1", method="POST",
         scheme="https", host="monitoring.sa-east-1.amazonaws.com", path="/",
         query=[], headers=[["My-Header1", "  value1  "], ["My-Header2", "\"a   b   c\""],
                            ["X-Multi", "z"], ["x-multi", "a\tb"], ["User-Agent", "runnel/1.0"],
                            ["Content-Type", "application/json"]],
         body='{"a":1}', time=T0),
    dict(name="explicit-content-sha256", service="s3", region="us-east-1", method="PUT", scheme="https",
         host="bucket.s3.amazonaws.com", path="/key", query=[],
         headers=[["X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"]], body="payload", time=T0),
    dict(name="gov-cloud-kinesis", service="kinesis", region="us-gov-west-1", method="POST", scheme="https",
         host="kinesis.us-gov-west-1.amazonaws.com", path="/", query=[], headers=KINESIS_HEADERS,
         body=PUT_RECORDS, time=T2, token=TOKEN),
    dict(name="ipv4-host-port", service="sts", region="us-east-1", method="POST", scheme="http",
         host="127.0.0.1:5000", path="/", query=[],
         headers=[["Content-Type", "application/x-www-form-urlencoded"]],
         body="Action=GetCallerIdentity&Version=2011-06-15", time=T1),
]


def sign(case):
    fixed = datetime.datetime.fromtimestamp(case["time"], tz=datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda: fixed
    query = "&".join(quote(k, safe="-_.~") + "=" + quote(v, safe="-_.~") for k, v in case["query"])
    url = f"{case['scheme']}://{case['host']}{case['path']}" + (f"?{query}" if query else "")
    request = AWSRequest(method=case["method"], url=url, data=case["body"].encode("utf-8"))
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPHeaders appends: a repeated name stays repeated
    credentials = Credentials(KEY, SECRET, case.get("token"))
    auth = SigV4Auth(credentials, case["service"], case["region"])
    # add_auth's own steps, keeping each intermediate product.
    request.context["timestamp"] = fixed.strftime(botocore.auth.SIGV4_TIMESTAMP)
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    sts = auth.string_to_sign(request, canonical)
    signature = auth.signature(sts, request)
    auth._inject_signature_to_request(request, signature)
    authorization = request.headers["Authorization"]
    assert authorization.endswith("Signature=" + signature)
    # And the public path gives the same Authorization header.
    check = AWSRequest(method=case["method"], url=url, data=case["body"].encode("utf-8"))
    for name, value in case["headers"]:
        check.headers[name] = value
    SigV4Auth(credentials, case["service"], case["region"]).add_auth(check)
    assert check.headers["Authorization"] == authorization, case["name"]
    return {
        **{k: case[k] for k in ("name", "service", "region", "method", "scheme", "host", "path", "query",
                                "headers", "body", "time")},
        "accessKeyID": KEY,
        "secretAccessKey": SECRET,
        "sessionToken": case.get("token"),
        "expected": {
            "canonicalRequest": canonical,
            "stringToSign": sts,
            "signature": signature,
            "authorization": authorization,
            "amzDate": request.headers["X-Amz-Date"],
        },
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    for case in CASES:
        fixture = sign(case)
        with open(os.path.join(OUT, case["name"] + ".json"), "w", encoding="utf-8") as f:
            json.dump(fixture, f, indent=2, ensure_ascii=False)
            f.write("\n")
    print(f"wrote {len(CASES)} fixtures to {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
