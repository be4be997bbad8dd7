"""The local stack the benchmarks start (poll.sh, tui.sh, load.sh): etcd, storage-service and
Prometheus on free loopback ports, each waited for by a readiness check, all stopped and their
data removed on the way out.

    with LocalStack(bin_dir) as stack:
        etcd = stack.etcd(v2=True)
        service = stack.service(etcd, "--istio-metrics")
        prometheus = stack.prometheus([service])
"""
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalStack:
    def __init__(self, bin_dir):
        self.bin = bin_dir
        self.tmp = tempfile.mkdtemp(prefix="meshtop-bench.")
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *_):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, args):
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    @staticmethod
    def wait(url, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        return
            except Exception:
                pass
            time.sleep(0.05)  # readiness polling
        raise SystemExit(f"bench: {url} not ready")

    def etcd(self, v2=False):
        client, peer = free_port(), free_port()
        url = f"http://127.0.0.1:{client}"
        self.start(["etcd", "--name", "b", "--data-dir", f"{self.tmp}/etcd", "--listen-client-urls", url,
                    "--advertise-client-urls", url, "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                    "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}", "--initial-cluster",
                    f"b=http://127.0.0.1:{peer}"] + (["--enable-v2"] if v2 else []))
        self.wait(url + "/health")
        return url

    def service(self, etcd, *extra):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        self.start([f"{self.bin}/storage-service", "--host", "127.0.0.1", "--port", str(port), "--etcd", etcd,
                    "--log-level", "error", *extra])
        self.wait(url + "/")
        return url

    def prometheus(self, targets):
        port = free_port()
        hosts = ", ".join(f"'{urllib.parse.urlparse(t).netloc}'" for t in targets)
        with open(f"{self.tmp}/prometheus.yml", "w") as f:
            f.write(f"global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: storage\n"
                    f"    static_configs: [{{targets: [{hosts}]}}]\n")
        url = f"http://127.0.0.1:{port}"
        self.start(["prometheus", "--config.file", f"{self.tmp}/prometheus.yml", "--storage.tsdb.path",
                    f"{self.tmp}/tsdb", "--web.listen-address", f"127.0.0.1:{port}"])
        self.wait(url + "/-/ready")
        return url
