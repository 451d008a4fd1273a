// Nimbus's runtime client for python3.x functions, written to the data dir at start and run as
// `python3 -u <file>` in each worker. It speaks the Lambda Runtime API like AWS's
// awslambdaric: errors as {errorMessage, errorType, requestId, stackTrace}, AWS's
// Runtime.ImportModuleError / HandlerNotFound / UserCodeSyntaxError / MarshalError messages.
export const PYTHON_BOOTSTRAP = String.raw`
import http.client, importlib, json, os, sys, time, traceback

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
conn = http.client.HTTPConnection(host, int(port))
BASE = "/2018-06-01/runtime"
FLUSH = "\x1eNIMBUS-FLUSH\x1e\n"
sys.stderr = sys.stdout  # AWS interleaves both into the function's log stream

def call(method, path, body=None, headers=None):
    if method == "POST" and "/invocation/" in path:
        sys.stdout.write(FLUSH)
        sys.stdout.flush()
    h = {"content-type": "application/json"} if body is not None else {}
    h.update(headers or {})
    conn.request(method, BASE + path, body=body, headers=h)
    r = conn.getresponse()
    return r, r.read()

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
    r, raw = call("GET", "/invocation/next")
    ctx = Context({k.lower(): v for k, v in r.getheaders()})
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
