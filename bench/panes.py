"""What the dashboard benchmarks (tui.sh, mesh.sh, record.sh) share: a private tmux server to run
meshtop in, and a process's CPU time and resident memory from /proc."""
import os
import subprocess
import time
import urllib.request

SOCKET = f"meshtop-bench-{os.getpid()}"


def tmux(*args):
    return subprocess.run(["tmux", "-u", "-L", SOCKET, *args], check=True, capture_output=True, text=True,
                          env=dict(os.environ, LANG="C.UTF-8", TERM="xterm-256color")).stdout


def kill_tmux():
    subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)


def cpu_ticks(pid):
    """utime + stime, in clock ticks (os.sysconf("SC_CLK_TCK") a second)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def start_dashboard(command, drawn):
    """Runs `command` in a 200x50 pane and waits until the screen shows `drawn`; the pane's pid."""
    tmux("new-session", "-d", "-s", "main", "-x", "200", "-y", "50", command)
    pid = int(tmux("display-message", "-p", "-t", "main", "#{pane_pid}").strip())
    deadline = time.time() + 30
    while drawn not in tmux("capture-pane", "-p", "-t", "main"):
        if time.time() > deadline:
            raise SystemExit("bench: the dashboard did not draw")
        time.sleep(0.1)  # readiness polling
    return pid


def demo_dashboard(bin_dir, d, rate):
    """The demo's dashboard on a running mesh `d` (Mesh.describe()): the key `demo` written, every
    source polled, every proxy's log tailed, and --load GATEWAY/storage/demo at `rate`; the command."""
    urllib.request.urlopen(urllib.request.Request(d["gateway"] + "/storage", method="PUT", data=b'{"key":"demo","value":"v"}',
                                                  headers={"Content-Type": "application/json"}), timeout=5).read()
    logs = " ".join(f"--logs {path}" for path in d["access_logs"].values())
    return (f"exec {bin_dir}/meshtop --prometheus {d['prometheus']} --etcd {','.join(d['etcd'])} "
            f"--service {d['service']} {logs} --load {d['gateway']}/storage/demo --rps {rate}")
