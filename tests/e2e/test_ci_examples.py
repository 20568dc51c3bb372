"""examples/ci/ runs as written: the GitHub Actions workflow and the Zuul playbooks are read, and their
``partitioner`` commands run as M jobs at once, in separate checkouts of a generated suite, against one store.

Only what a CI gives is simulated: the matrix value, the artifact hand-over (the plan file copied to every job),
Zuul's variables and ``zuul_return``; every command line is the example's own. An expression the simulation does
not know fails the test, so the examples cannot drift from what is checked here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fixtures
import testtools
import yaml

from tests.shardjobs import ShardCheckouts, run_jobs, stored_by_label
from tests.suites import GEN_SUITE, REPO, GeneratedSuite, tool_env

CI = REPO / "examples" / "ci"
GITHUB_EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
JINJA = re.compile(r"\{\{\s*(.+?)\s*\}\}")


def github(text: str, values: Mapping[str, str]) -> str:
    """``${{ expr }}`` replaced by ``values[expr]``; an unknown expression is an error."""
    def one(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise AssertionError(f"the simulation does not know ${{{{ {match.group(1)} }}}}")
        return values[match.group(1)]

    return GITHUB_EXPRESSION.sub(one, text)


def jinja(text: str, values: Mapping[str, Any]) -> str:
    """``{{ dotted.name | default('x') | trim }}`` (the forms the playbooks use) replaced from ``values``."""
    def one(match: re.Match[str]) -> str:
        name, *filters = [part.strip() for part in match.group(1).split("|")]
        value: Any = values
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        for spec in filters:
            if spec.startswith("default(") and value is None:
                value = spec[len("default("):-1].strip("'\"")
            elif spec == "trim":
                value = str(value).strip()
            elif not spec.startswith("default("):
                raise AssertionError(f"the simulation does not know the filter {spec!r}")
        if value is None:
            raise AssertionError(f"the simulation does not know {{{{ {name} }}}}")
        return str(value)

    return JINJA.sub(one, text)


class ZuulLoader(yaml.SafeLoader):
    """YAML as Zuul reads it: a secret's ``!encrypted/pkcs1-oaep`` value is kept as the list it is."""


ZuulLoader.add_constructor("!encrypted/pkcs1-oaep", lambda loader, node: loader.construct_sequence(node))


def shell(command: str) -> list[str]:
    return ["bash", "-euo", "pipefail", "-c", command]


def job(steps: list[tuple[str, bool]]) -> list[str]:
    """A CI job of ``(command, always)`` steps: after a failure only the ``always`` steps run (GitHub's
    ``if: always()``, Ansible's ``always:``); the job fails with the first failure's status."""
    script = ["status=0"]
    for command, always in steps:
        guarded = f"( set -euo pipefail; {command} ) || status=${{status/#0/$?}}"
        script.append(guarded if always else f"if [ $status -eq 0 ]; then {guarded}; fi")
    return ["bash", "-c", "\n".join([*script, "exit $status"])]


class CIExampleCase(testtools.TestCase):
    def setUp(self) -> None:
        super().setUp()
        if not GEN_SUITE.exists():
            self.skipTest(f"{GEN_SUITE} is missing (set PARTITIONER_SHARED)")
        self.suite = self.useFixture(GeneratedSuite(classes=24, serial_s=4.0, seed=11))
        dataset = json.loads((self.suite.path / "dataset.json").read_text())
        self.ids = sorted(t for c in dataset["classes"] for t in c["tests"])
        tmp = Path(self.useFixture(fixtures.TempDir()).path)
        self.url = f"sqlite:///{tmp / 'history.db'}"
        self.env = tool_env(BENCH_LOCKDIR=str(self.suite.lockdir), PARTITIONER_CACHE_DIR=str(tmp / "cache"))

    def sh(self, command: list[str], cwd: Path, env: Mapping[str, str]) -> str:
        proc = subprocess.run(command, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False,
                              timeout=300)
        self.assertEqual(0, proc.returncode, f"{command}:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def assertStoredOnce(self, shards: int, **labels: str) -> None:
        stored = stored_by_label(self.url, **labels)
        self.assertEqual({f"{k}/{shards}" for k in range(1, shards + 1)}, set(stored))
        self.assertEqual(self.ids, sorted(t for tests in stored.values() for t in tests))  # none lost, none twice


class TestGitHubActions(CIExampleCase):
    def test_the_matrix_runs_every_test_once_from_one_plan_file(self) -> None:
        workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
        env = {**self.env, **{k: str(v) for k, v in workflow["env"].items()}, "PARTITIONER_HISTORY": self.url}
        shards = int(env["SHARDS"])
        matrix = workflow["jobs"]["test"]["strategy"]["matrix"]["shard"]
        self.assertEqual(list(range(1, shards + 1)), matrix)  # "keep them equal", as the workflow says
        checkouts = self.useFixture(ShardCheckouts(self.suite.path, shards + 1))
        planner, jobs = checkouts.paths[0], checkouts.paths[1:]

        def commands(name: str, values: Mapping[str, str]) -> list[tuple[str, bool]]:
            steps = workflow["jobs"][name]["steps"]
            return [(github(step["run"], values), step.get("if") == "always()") for step in steps
                    if "run" in step and step["run"].lstrip().startswith("partitioner ")]

        self.sh(job(commands("plan", {})), planner, env)
        for checkout in jobs:  # actions/download-artifact
            shutil.copy(planner / "plan.json", checkout / "plan.json")
        simulated = []
        for k, checkout in enumerate(jobs, 1):
            values = {"matrix.shard": str(k), "github.ref_name": "main", "github.workflow": "tests (sharded)",
                      "github.run_id": "7"}
            simulated.append((job(commands("test", values)), checkout))
        for done in run_jobs(simulated, env):
            self.assertEqual(0, done.returncode, f"job {done.shard}:\n{done.stdout}\n{done.stderr}")
            self.assertIn(f"partitioner: shard {done.shard}/{shards} of split ", done.stderr)
        self.assertStoredOnce(shards, job="tests (sharded)/7", branch="main")


class TestZuul(CIExampleCase):
    def test_the_jobs_split_alike_from_the_pinned_store(self) -> None:
        config = yaml.load((CI / "zuul" / "zuul.yaml").read_text(), Loader=ZuulLoader)
        jobs = {entry["job"]["name"]: entry["job"] for entry in config if "job" in entry}
        variables = dict(jobs["tempest-sharded-base"]["vars"])
        shards = int(variables["partitioner_shards"])
        shard_jobs = [name for name in jobs if re.fullmatch(r"tempest-shard-\d+", name)]
        self.assertEqual(shards, len(shard_jobs))
        playbooks = CI / "zuul" / "playbooks"
        zuul = {"partitioner_history": {"url": self.url, "password": "unused"}, **variables}
        # an earlier change pushed a run of the suite: the store exists and knows it
        seed = self.useFixture(ShardCheckouts(self.suite.path, 1)).paths[0]
        self.sh(["stestr", "run", "--concurrency", "2"], seed, self.env)
        self.sh(["partitioner", "history", "push", "--to", self.url, ".stestr"], seed, self.env)
        # the pin job: `command:` run, its stdout handed on with zuul_return
        [pin_play] = yaml.safe_load((playbooks / "pin.yaml").read_text())
        pin_task = pin_play["tasks"][0]
        pin = self.sh(shell(jinja(pin_task["command"], zuul)), seed, self.env).strip()
        returned = pin_play["tasks"][1]["zuul_return"]["data"]
        zuul.update({key: jinja(value, {pin_task["register"]: {"stdout": pin}}) for key, value in returned.items()})
        self.assertEqual({"partitioner_pin": "1"}, {k: zuul[k] for k in returned})
        # the shard jobs, at once, each in its own checkout
        [play] = yaml.safe_load((playbooks / "shard.yaml").read_text())
        [block] = play["tasks"]
        checkouts = self.useFixture(ShardCheckouts(self.suite.path, shards))
        simulated = []
        for name, path in zip(sorted(shard_jobs), checkouts.paths, strict=True):
            values = {**zuul, **jobs[name]["vars"], "zuul": {"job": name, "project": {"src_dir": str(path)}}}
            env = {**self.env, **{k: jinja(str(v), values) for k, v in play["environment"].items()}}
            steps = [(jinja(task.get("shell") or task["command"], values), always)
                     for tasks, always in ((block["block"], False), (block["always"], True)) for task in tasks]
            self.assertEqual(str(path), jinja(block["block"][0]["args"]["chdir"], values))
            simulated.append((job(steps), path, env))
        started = [subprocess.Popen(command, cwd=path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for command, path, env in simulated]
        digests = set()
        for k, process in enumerate(started, 1):
            out, err = process.communicate(timeout=300)
            self.assertEqual(0, process.returncode, f"job {k}:\n{out}\n{err}")
            found = re.search(rf"^partitioner: shard {k}/{shards} of split (\w+)", err, re.MULTILINE)
            self.assertIsNotNone(found, err)
            assert found is not None
            digests.add(found.group(1))
        self.assertEqual(1, len(digests))  # every job split the suite alike, from the pinned store
        self.assertStoredOnce(shards, change="periodic")
