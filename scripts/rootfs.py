"""Shared by scripts/test-package and scripts/test-image: run Runnel inside a root filesystem
assembled in a folder (no container engine), in a mount and network namespace of the test's own,
and check that events sent to it with fluent-logger all reach Kinesis (moto on the namespace's
loopback)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

STREAM = "runnel-rootfs-test"
EVENTS = 500
IN_NAMESPACE = "RUNNEL_ROOTFS_IN_NAMESPACE"


class CheckFailed(Exception):
    pass


def run(arguments, **options):
    result = subprocess.run(arguments, capture_output=True, text=True, **options)
    if result.returncode != 0:
        raise CheckFailed(f"{' '.join(arguments)} exited {result.returncode}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def reexec_in_namespace(script, arguments, network=True):
    """Runs `script` again, as root, in a private mount namespace (and network namespace): the
    mounts it makes vanish with it, and with `network` nothing it listens on or sends leaves the
    namespace. Returns the exit status."""
    if os.geteuid() != 0:
        sys.exit(f"{os.path.basename(script)}: needs root (chroot, mount and network namespaces)")
    namespaces = ["--mount"] + (["--net"] if network else [])
    command = ["unshare", *namespaces, "--propagation", "private", sys.executable, os.path.abspath(script), *arguments]
    return subprocess.run(command, env=dict(os.environ, **{IN_NAMESPACE: "1"})).returncode


def in_namespace():
    return os.environ.get(IN_NAMESPACE) == "1"


def shared_libraries(binary):
    """The shared libraries `binary` loads, as ldd resolves them on this machine."""
    libraries = []
    for line in run(["ldd", binary]).splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) > parts.index("=>") + 1 and parts[parts.index("=>") + 1].startswith("/"):
            libraries.append(parts[parts.index("=>") + 1])
        elif parts and parts[0].startswith("/"):
            libraries.append(parts[0])
    return libraries


def copy_libraries(root, libraries):
    for library in libraries:
        target = os.path.join(root, library.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.realpath(library), target)


def mount_runtime(root):
    """/dev and /proc in the root, as a container engine or systemd gives them (this namespace's
    mounts, gone when it ends)."""
    for folder in ("dev", "proc"):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        run(["mount", "--rbind", f"/{folder}", os.path.join(root, folder)])


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, seconds, process=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise CheckFailed(f"the process meant to listen on {port} exited {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise CheckFailed(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


def source_port(configuration, plugin):
    """The port of the `plugin` source in a fluent.conf, or None when it has none."""
    inside = False
    for line in open(configuration):
        words = line.split()
        if words[:2] == ["@type", plugin]:
            inside = True
        elif inside and words[:1] == ["port"]:
            return int(words[1])
        elif words[:1] == ["</source>"]:
            inside = False
    return None


def forward_port(configuration):
    port = source_port(configuration, "forward")
    if port is None:
        raise CheckFailed(f"{configuration} has no forward source with a port")
    return port


def check_health(port):
    """monitor_agent's liveness endpoint answers 200, as a probe (kubelet's, Docker's) asks."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
        if answer.status != 200:
            raise CheckFailed(f"GET /healthz on {port} answered {answer.status}")


def start_kinesis():
    """moto on this namespace's loopback with one stream; returns (process, endpoint, client)."""
    import boto3

    run(["ip", "link", "set", "lo", "up"])
    port = free_port()
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 60, moto)
        endpoint = f"http://127.0.0.1:{port}"
        kinesis = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                               aws_access_key_id="testing", aws_secret_access_key="testing")
        kinesis.create_stream(StreamName=STREAM, ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName=STREAM, WaiterConfig={"Delay": 0.2})
        return moto, endpoint, kinesis
    except BaseException:
        moto.kill()
        moto.wait()
        raise


def kinesis_environment(endpoint):
    """What a user gives Runnel to reach the stream: its name and region, and here the local
    endpoint and keys moto accepts."""
    return {"KINESIS_STREAM_NAME": STREAM, "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_KINESIS": endpoint,
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def deliver(root, command, environment, configuration, kinesis, workdir="/", user=None):
    """Starts `command` chrooted in `root` (as uid:gid `user`, in `workdir`), asks its
    monitor_agent for /healthz (when `configuration`, the path of its fluent.conf outside the
    root, has one), sends EVENTS events to its forward port with fluent-logger, waits until all
    reach the stream, then stops it with SIGTERM, which must end it with status 0. Returns a line
    saying what was seen."""
    from fluent import sender

    def enter():
        os.chroot(root)
        os.chdir(workdir)
        if user is not None:
            os.setgroups([])
            os.setgid(user[1])
            os.setuid(user[0])

    log = tempfile.TemporaryFile(mode="w+")
    runnel = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT, preexec_fn=enter)
    try:
        port = forward_port(configuration)
        wait_for_port(port, 60, runnel)
        monitor = source_port(configuration, "monitor_agent")
        if monitor is not None:
            wait_for_port(monitor, 60, runnel)
            check_health(monitor)
        client = sender.FluentSender("app", host="127.0.0.1", port=port)
        for index in range(EVENTS):
            if not client.emit("rootfs", {"n": index, "message": f"event {index} from inside the root"}):
                raise CheckFailed(f"fluent-logger could not send event {index}: {client.last_error}")
        client.close()

        seen = set()
        shard = kinesis.list_shards(StreamName=STREAM)["Shards"][0]["ShardId"]
        iterator = kinesis.get_shard_iterator(StreamName=STREAM, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        deadline = time.time() + 90
        while len(seen) < EVENTS and time.time() < deadline:
            answer = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            iterator = answer["NextShardIterator"]
            for record in answer["Records"]:
                event = json.loads(record["Data"])
                if "n" in event:
                    seen.add(event["n"])
            if not answer["Records"]:
                time.sleep(0.5)
        if len(seen) != EVENTS:
            raise CheckFailed(f"{len(seen)} of {EVENTS} events reached Kinesis within 90 s")

        runnel.send_signal(signal.SIGTERM)
        try:
            status = runnel.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise CheckFailed("runnel did not stop within 60 s of SIGTERM")
        if status != 0:
            raise CheckFailed(f"runnel exited {status} on SIGTERM")
        log.seek(0)
        started = next((line.strip() for line in log if "runnel started" in line), "no start line in its log")
        health = "; /healthz answered 200" if monitor is not None else ""
        return f"{len(seen)} events delivered{health}; {started}"
    except CheckFailed as failure:
        log.seek(0)
        raise CheckFailed(f"{failure}\nrunnel's log:\n{log.read()[-4000:]}")
    finally:
        if runnel.poll() is None:
            runnel.kill()
            runnel.wait()


class Steps:
    """Named checks, printed ok or FAIL as they run; `failures` counts the failed ones."""

    def __init__(self):
        self.failures = 0

    def __call__(self, name, function, *args):
        try:
            result = function(*args)
        except (CheckFailed, OSError, subprocess.SubprocessError) as failure:
            self.failures += 1
            print(f"FAIL  {name}: {failure}", flush=True)
            return None
        note = f" ({result})" if isinstance(result, str) and result and "\n" not in result else ""
        print(f"ok    {name}{note}", flush=True)
        return result if result is not None else True
