"""The Dockerfiles, checked as far as this machine allows: no Docker engine runs here, so the
images are never built. What is checked instead is what would break a build or a container:
every package an `apt-get install` names exists in Debian bookworm (the base images' release),
every COPY source exists, the built product is one Package.swift declares, and the libraries
the binary links against come with the runtime stage's packages."""
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"
DOCKERFILES = {"meshtop": DOCKER / "meshtop.Dockerfile", "storage-service": DOCKER / "storage-service.Dockerfile"}


def stages(text):
    """The instructions of each stage, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            result.append([])
        result[-1].append(line)
    return result


def installed(stage):
    packages = []
    for line in stage:
        for command in re.findall(r"apt-get install ([^&]*)", line):
            packages += [word for word in command.split() if not word.startswith("-")]
    return packages


def in_debian(package):
    """Whether Debian's archive (not a third-party repository on this machine) has the package."""
    shown = subprocess.run(["apt-cache", "madison", package], capture_output=True, text=True).stdout
    return re.search(r"\|\s*https?://deb\.debian\.org/debian(-security)? bookworm", shown) is not None


def closure(packages):
    shown = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances", *packages], capture_output=True, text=True).stdout  # fmt: skip
    names = {line.strip() for line in shown.splitlines() if line and not line.startswith(" ")}
    names |= {m.group(1) for m in re.finditer(r"Depends: <?([\w.+-]+)>?", shown)}
    return {name.split(":")[0] for name in names}


def owner(path):
    """The package that installed a library; dpkg knows it by /lib or /usr/lib (merged /usr)."""
    real = pathlib.Path(path).resolve()
    for candidate in dict.fromkeys([path, str(real), str(real).replace("/usr/lib/", "/lib/", 1)]):
        shown = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True).stdout
        if shown:
            return shown.split(":")[0]
    return f"(no package owns {path})"


@pytest.fixture(scope="module", autouse=True)
def apt_lists():
    if shutil.which("apt-cache") is None or not in_debian("libc6"):
        pytest.fail("apt-cache has no Debian package lists here (run apt-get update)", pytrace=False)


@pytest.mark.parametrize("product", DOCKERFILES)
def test_every_installed_package_is_in_debian(product):
    for stage in stages(DOCKERFILES[product].read_text()):
        for package in installed(stage):
            assert in_debian(package), f"{product}: {package} is not a Debian bookworm package"


def test_a_package_debian_lacks_is_caught():
    # kubectl on this machine comes from another vendor's repository; Debian has none of that name.
    assert not in_debian("kubectl")
    assert in_debian("kubernetes-client")


@pytest.mark.parametrize("product", DOCKERFILES)
def test_sources_products_and_entrypoint_agree(product):
    build, runtime = stages(DOCKERFILES[product].read_text())
    for line in build:
        if line.upper().startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: no such path"
    assert any(f"--product {product} " in line for line in build)
    assert f'name: "{product}"' in (ROOT / "Package.swift").read_text()
    assert f'ENTRYPOINT ["/usr/local/bin/{product}"]' in runtime
    assert any(f"/out/{product} /usr/local/bin/{product}" in line for line in runtime)
    assert any(line.startswith("USER ") and not line.startswith("USER 0") for line in runtime)


@pytest.mark.parametrize("product", DOCKERFILES)
def test_the_runtime_stage_carries_every_library_the_binary_needs(product):
    binary = ROOT / ".build" / "debug" / product
    if not binary.exists():
        pytest.fail(f"{binary} is not built (make test builds it first)", pytrace=False)
    _, runtime = stages(DOCKERFILES[product].read_text())
    # The slim base has apt and the essential set; the stage adds its own packages.
    available = closure(["apt", "bash", "coreutils", "libc6", *installed(runtime)])
    needed = re.findall(r"NEEDED.*\[(.+)\]", subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True).stdout)
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout, re.M))
    checked = []
    for library in needed:
        path = paths.get(library, "")
        # Swift's own libraries are linked statically in the image (--static-swift-stdlib).
        if not path or "swift" in path:
            continue
        package = owner(path)
        assert package in available, f"{product} needs {library} from {package}, which the runtime stage lacks"
        checked.append(library)
    assert "libcurl.so.4" in checked
    if product == "meshtop":
        assert "libncursesw.so.6" in checked
