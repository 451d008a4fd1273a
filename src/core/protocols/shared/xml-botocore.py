# Test support for the XML protocols' tests: parses responses with botocore's own parsers
# (what the aws CLI and boto3 run). stdin: JSON list of {service, operation, protocol,
# status, headers, body}; stdout: JSON list of parsed results (datetimes and bytes as strings).
import base64, datetime, json, sys
import botocore.handlers, botocore.parsers, botocore.session

session = botocore.session.get_session()
out = []
for case in json.load(sys.stdin):
    model = session.get_service_model(case["service"])
    op = model.operation_model(case["operation"])
    parser = botocore.parsers.create_parser(case["protocol"])
    resp = {"status_code": case["status"], "headers": case["headers"], "body": case["body"].encode("utf-8")}
    parsed = parser.parse(resp, op.output_shape)
    if case["operation"] == "GetBucketLocation" and case["status"] < 300:
        # botocore reads this one operation with a handler, not the parser.
        class Raw: pass
        class HttpResponse:
            raw = Raw()
            content = resp["body"]
        botocore.handlers.parse_get_bucket_location(parsed, HttpResponse())
    def conv(v):
        if isinstance(v, datetime.datetime): return v.isoformat()
        if isinstance(v, bytes): return base64.b64encode(v).decode()
        if isinstance(v, dict): return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list): return [conv(x) for x in v]
        return v
    out.append(conv(parsed))
json.dump(out, sys.stdout)
