"""The deployment files, checked without a Docker daemon (CI has none): the Dockerfile parsed with
`dockerfile-parse` (stages, base, user, volume, health check), its health check run as written
against a real server, the `.dockerignore` leaving in everything the build reads, and every
`PROVENANCE_*` variable the Dockerfile and the systemd environment file set being one the binaries
know. The unit itself is checked with `systemd-analyze verify` in .ci/run."""

import fnmatch
import json
import os
import re
import subprocess

from dockerfile_parse import DockerfileParser

from conftest import BINARY, PROVCTL, REPO

DATA_DIR = "/var/lib/provenance-registry"


def dockerfile():
    return DockerfileParser(path=str(REPO / "Dockerfile"))


def stages(parser):
    """[(base, name, [instructions])] per FROM."""
    found = []
    for item in parser.structure:
        if item["instruction"] == "FROM":
            words = item["value"].split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append((words[0], name, []))
        elif found:
            found[-1][2].append((item["instruction"], item["value"]))
    return found


def known_variables(*command):
    """The PROVENANCE_* variables a binary's --help names (`[env: NAME=]`)."""
    help_text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"\[env: (PROVENANCE_[A-Z_]+)=", help_text))


def test_the_dockerfile_builds_in_one_stage_and_runs_unprivileged_on_a_minimal_base():
    parser = dockerfile()
    assert parser.is_multistage
    (build_base, build_name, build), (run_base, _, final) = stages(parser)
    rust_version = re.search(r'^rust-version = "(.+)"$', (REPO / "Cargo.toml").read_text(), re.M)[1]
    arg = next(i for i in parser.structure if i["instruction"] == "ARG")["value"]
    assert arg == f"RUST_VERSION={rust_version}", "the build stage uses the workspace's rust-version"
    assert build_base.startswith("rust:${RUST_VERSION}-") and build_name == "build"
    assert any(kind == "RUN" and "--locked" in value and "--release" in value for kind, value in build)
    # The runtime base has no toolchain; only the build stage's output is copied into it.
    assert "distroless" in run_base and run_base.endswith(":nonroot")
    copies = [value for kind, value in final if kind == "COPY"]
    assert copies and all(value.startswith("--from=build ") for value in copies)

    user = [value for kind, value in final if kind == "USER"]
    assert user and user[-1].split(":")[0] not in ("0", "root"), "runs as a non-root user"
    env = parser.envs
    assert env["PROVENANCE_DATA_DIR"] == DATA_DIR
    volumes = [json.loads(value) for kind, value in final if kind == "VOLUME"]
    assert [DATA_DIR] in volumes, "the data directory is a volume"
    assert any(f"--chown={user[-1]}" in value and value.endswith(DATA_DIR) for value in copies), (
        "the volume's directory belongs to the user the server runs as"
    )

    health = next(value for kind, value in final if kind == "HEALTHCHECK")
    command = json.loads(health.split("CMD", 1)[1])
    assert command[:2] == ["/usr/local/bin/provctl", "health"]
    entrypoint = json.loads(next(value for kind, value in final if kind == "ENTRYPOINT"))
    assert entrypoint == ["/usr/local/bin/provenance-registry"]
    assert json.loads(next(value for kind, value in final if kind == "CMD")) == ["serve"]

    # Every variable it sets is a setting of the server or of provctl.
    known = known_variables(BINARY, "serve", "--help") | known_variables(PROVCTL, "health", "--help")
    assert set(env) <= known, set(env) - known


def test_the_health_check_as_written_passes_on_a_serving_registry_and_fails_without_one(server):
    final = stages(dockerfile())[-1][2]
    command = json.loads(next(value for kind, value in final if kind == "HEALTHCHECK").split("CMD", 1)[1])
    args = [str(PROVCTL), *command[1:]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVENANCE_")}
    serving = subprocess.run(args, env={**env, "PROVENANCE_URL": f"http://{server.address}"}, capture_output=True)
    assert serving.returncode == 0, serving.stderr
    # Port 9 (discard) on loopback: nothing listens there.
    down = subprocess.run(args, env={**env, "PROVENANCE_URL": "http://127.0.0.1:9"}, capture_output=True, text=True)
    assert down.returncode == 6, down.stderr


def ignored(path, patterns):
    """Whether .dockerignore's `patterns` leave `path` (or a directory above it) out of the build
    context: Go filepath.Match per path element, `**` for any number of them, `!` re-including."""

    def match(pattern, parts):
        if not pattern:
            return not parts
        if pattern[0] == "**":
            return any(match(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
        return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and match(pattern[1:], parts[1:])

    parts = path.split("/")
    out = False
    for raw in patterns:
        negated = raw.startswith("!")
        pattern = raw.lstrip("!").strip("/").split("/")
        if any(match(pattern, parts[:n]) for n in range(1, len(parts) + 1)):
            out = not negated
    return out


def test_the_dockerignore_leaves_in_every_file_the_build_reads():
    lines = (REPO / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    needed = [
        path
        for path in tracked
        if path in ("Cargo.toml", "Cargo.lock", ".cargo/config.toml")
        or path.split("/")[0] in ("src", "crates", "proto", "migrations", "policies", "fuzz", "docs")
        or path.startswith("clients/cli/")
    ]
    assert len(needed) > 100
    left_out = [path for path in needed if ignored(path, patterns)]
    assert not left_out, left_out
    # What must stay out does.
    for path in ["target/debug/provenance-registry", ".git/config", "data/access-token.key", "acme-admin.token"]:
        assert ignored(path, patterns), path


def test_the_systemd_environment_file_names_only_settings_the_server_knows():
    text = (REPO / "packaging" / "systemd" / "provenance-registry.env").read_text()
    named = set(re.findall(r"^#?(PROVENANCE_[A-Z_]+)=", text, re.M))
    unit = (REPO / "packaging" / "systemd" / "provenance-registry.service").read_text()
    named |= set(re.findall(r"^Environment=(PROVENANCE_[A-Z_]+)=", unit, re.M))
    assert "PROVENANCE_DATA_DIR" in named and "PROVENANCE_LISTEN" in named
    known = known_variables(BINARY, "serve", "--help")
    assert named <= known, named - known
    data_dir = re.search(r"^Environment=PROVENANCE_DATA_DIR=(.+)$", unit, re.M)[1]
    assert data_dir == DATA_DIR
    assert f"ReadWritePaths={data_dir}" in unit.splitlines()
    assert "StateDirectory=provenance-registry" in unit.splitlines()
