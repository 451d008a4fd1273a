// Nimbus's runtime client for python3.x functions, written to the data dir at start and run as
// `python3 -u <file>` in each worker. It speaks the Lambda Runtime API like AWS's
// awslambdaric: errors as {errorMessage, errorType, requestId, stackTrace}, AWS's
// Runtime.ImportModuleError / HandlerNotFound / UserCodeSyntaxError / MarshalError messages.
export const PYTHON_BOOTSTRAP = String.raw`
import importlib, json, os, socket, sys, time, traceback

# A standby worker (standby.ts) waits here for its function: the environment and the task root
# arrive as one JSON line on stdin; then it runs exactly as a freshly spawned worker.
if sys.argv[1:2] == ["--standby"]:
    del sys.argv[1:]
    line = sys.stdin.buffer.readline()
    if not line:
        sys.exit(0)
    assignment = json.loads(line)
    os.environ.update(assignment["env"])
    os.chdir(assignment["cwd"])
    _null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(_null, 0)
    os.close(_null)
    # PYTHONPATH (layers) is read once at start: put it where a fresh interpreter would have.
    sys.path[1:1] = [p for p in os.environ.get("PYTHONPATH", "").split(":") if p]
    time.tzset()

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
BASE = "/2018-06-01/runtime"
FLUSH = "\x1eNIMBUS-FLUSH\x1e\n"
sys.stderr = sys.stdout  # AWS interleaves both into the function's log stream

# A minimal HTTP/1.1 client on one kept-alive socket: the Runtime API is one request at a time,
# answered with a Content-Length; http.client parses every answer's headers with the email
# package, which costs more than the rest of an invocation's bookkeeping.
_sock = None
_buf = b""

def call(method, path, body=None, headers=None):
    global _sock, _buf
    if method == "POST" and "/invocation/" in path:
        sys.stdout.write(FLUSH)
        sys.stdout.flush()
    if _sock is None:
        _sock = socket.create_connection((host, int(port)))
        _sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    head = "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\n" % (method, BASE, path, host, port)
    if body is not None:
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    for k, v in (headers or {}).items():
        head += "%s: %s\r\n" % (k, v)
    _sock.sendall(head.encode("latin-1") + b"\r\n" + (body or b""))
    while True:
        end = _buf.find(b"\r\n\r\n")
        if end >= 0:
            lines = _buf[:end].decode("latin-1").split("\r\n")
            hdrs = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                hdrs[k.strip().lower()] = v.strip()
            n = int(hdrs.get("content-length", "0"))
            if len(_buf) >= end + 4 + n:
                data = _buf[end + 4:end + 4 + n]
                _buf = _buf[end + 4 + n:]
                return hdrs, data
        chunk = _sock.recv(65536)
        if not chunk:
            raise ConnectionError("Runtime API connection closed")
        _buf += chunk

def init_error(error_type, message):
    body = json.dumps({"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": []})
    print("[ERROR] " + error_type + ": " + message, flush=True)
    call("POST", "/init/error", body.encode(), {"lambda-runtime-function-error-type": error_type})
    sys.exit(1)

sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
mod_name, _, fn_name = os.environ.get("_HANDLER", "").rpartition(".")
try:
    mod = importlib.import_module(mod_name.replace("/", "."))
except ModuleNotFoundError as e:
    init_error("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (mod_name, e))
except SyntaxError as e:
    init_error("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (mod_name, e))
except Exception as e:
    init_error("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (mod_name, e))
handler = getattr(mod, fn_name, None)
if handler is None:
    init_error("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fn_name, mod_name))

class Context:
    def __init__(self, headers):
        self.aws_request_id = headers["lambda-runtime-aws-request-id"]
        self.invoked_function_arn = headers["lambda-runtime-invoked-function-arn"]
        self._deadline = int(headers["lambda-runtime-deadline-ms"])
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
    def get_remaining_time_in_millis(self):
        return max(0, self._deadline - int(time.time() * 1000))

while True:
    hdrs, raw = call("GET", "/invocation/next")
    ctx = Context(hdrs)
    rid = ctx.aws_request_id
    try:
        event = json.loads(raw) if raw else None
        result = handler(event, ctx)
        try:
            body = json.dumps(result)
        except Exception as e:
            err = {"errorMessage": "Unable to marshal response: %s" % e, "errorType": "Runtime.MarshalError", "requestId": rid, "stackTrace": []}
            call("POST", "/invocation/%s/error" % rid, json.dumps(err).encode(), {"lambda-runtime-function-error-type": "Runtime.MarshalError"})
            continue
        call("POST", "/invocation/%s/response" % rid, body.encode())
    except Exception as e:
        tb = traceback.extract_tb(e.__traceback__)[1:]
        err = {"errorMessage": str(e), "errorType": type(e).__name__, "requestId": rid, "stackTrace": traceback.format_list(tb)}
        print("[ERROR] %s: %s" % (type(e).__name__, e), flush=True)
        call("POST", "/invocation/%s/error" % rid, json.dumps(err).encode(), {"lambda-runtime-function-error-type": "Unhandled"})
`;
