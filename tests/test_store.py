"""The editor's storage layer: comment-keeping saves, optimistic locking, git history.

Real files and real git repositories in tmp_path; git gets its identity from the
environment set here, never from a global config.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import os
import pickle
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MUNICIPALITIES, REPO
from ruamel.yaml.comments import CommentedMap

from avtalsgen import output, store
from avtalsgen.config import load_yaml
from avtalsgen.errors import AvtalsgenError, ConfigError

SAMPLE = """\
# Luleå kommun: exempel med kommentarer.
# Andra raden i huvudet.

kommun:
  name: Luleå kommun          # fullt namn
  # kort namn används i löptext
  short_name: "Luleå"
  header_name: 'LULEÅ KOMMUN'
  tags: [trygghet, brott]
  note: bort

period:
  start: 2020
  end: 2023
date: 2025-01-01
text: >-
  Kommunen och polisen arbetar tillsammans mot brott och för trygghet i
  hela kommunen, med en gemensam lägesbild som grund för arbetet.
items:
  - name: ett   # första
    value: 1
  # mellan punkterna
  - name: två
    value: 2
# sist i filen
"""


def changed_lines(before: str, after: str) -> list[str]:
    """The -/+ lines of a unified diff (no headers, no context)."""
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("---", "+++"))]


def edited(text: str, change: Any, tmp_path: Path) -> str:
    """Load text, apply change to its plain data, merge back and dump."""
    path = tmp_path / "doc.yaml"
    path.write_text(text, "utf-8")
    loaded = store.read(path)
    data = store.plain(loaded.data)
    change(data)
    return store.dump(store.merge(loaded.data, data), like=loaded.text)


@pytest.fixture
def git_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Identity from the environment only; no global or system git config is read."""
    env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def repo(tmp_path: Path, git_env: dict[str, str]) -> Path:
    """A git repository with municipalities/demo/municipality.yaml committed."""
    root = tmp_path / "repo"
    folder = root / "municipalities" / "demo"
    folder.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (folder / "municipality.yaml").write_text(SAMPLE, "utf-8")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "start")
    return root


def commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD"))


# --- comments, order, quoting and folding survive a change --------------------------------


def test_seed_files_round_trip_unchanged_and_read_as_avtalsgen_does() -> None:
    files = sorted(MUNICIPALITIES.glob("*/*.yaml")) + sorted((REPO / "templates").rglob("*.yaml"))
    assert files
    for path in files:
        loaded = store.read(path)
        assert store.dump(loaded.data, like=loaded.text) == loaded.text, path
        assert store._same(store.plain(loaded.data), load_yaml(path).data), path
        same = store.merge(loaded.data, store.plain(loaded.data))
        assert store.dump(same, like=loaded.text) == loaded.text, path


def test_sample_round_trips_byte_for_byte(tmp_path: Path) -> None:
    assert edited(SAMPLE, lambda d: None, tmp_path) == SAMPLE


def test_changing_one_scalar_changes_one_line(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(SAMPLE, "utf-8")
    loaded = store.read(path)
    data = store.plain(loaded.data)
    data["period"]["end"] = 2024
    merged = store.merge(loaded.data, data)
    assert merged is loaded.data  # updated in place
    assert changed_lines(SAMPLE, store.dump(merged)) == ["-  end: 2023", "+  end: 2024"]
    after = edited(SAMPLE, lambda d: d["period"].__setitem__("end", 2024), tmp_path)
    assert changed_lines(SAMPLE, after) == ["-  end: 2023", "+  end: 2024"]
    # An end-of-line comment stays on its line, aligned where it was.
    after = edited(SAMPLE, lambda d: d["kommun"].__setitem__("name", "Luleå stad"), tmp_path)
    assert changed_lines(SAMPLE, after) == ["-  name: Luleå kommun          # fullt namn",
                                            "+  name: Luleå stad            # fullt namn"]


def test_quoted_strings_stay_quoted_the_same_way(tmp_path: Path) -> None:
    after = edited(SAMPLE, lambda d: d["kommun"].update(short_name="Lule", header_name="LULE"),
                   tmp_path)
    assert changed_lines(SAMPLE, after) == [
        '-  short_name: "Luleå"', "-  header_name: 'LULEÅ KOMMUN'",
        '+  short_name: "Lule"', "+  header_name: 'LULE'"]


def test_appending_a_list_item_adds_only_its_lines(tmp_path: Path) -> None:
    after = edited(SAMPLE, lambda d: d["items"].append({"name": "tre", "value": 3}), tmp_path)
    assert changed_lines(SAMPLE, after) == ["+  - name: tre", "+    value: 3"]
    assert after.endswith("    value: 3\n# sist i filen\n")  # the last comment stays last
    after = edited(SAMPLE, lambda d: d["kommun"]["tags"].append("unga"), tmp_path)
    assert changed_lines(SAMPLE, after) == ["-  tags: [trygghet, brott]",
                                            "+  tags: [trygghet, brott, unga]"]


def test_removing_a_key_removes_only_its_lines(tmp_path: Path) -> None:
    after = edited(SAMPLE, lambda d: d["kommun"].pop("note"), tmp_path)
    assert changed_lines(SAMPLE, after) == ["-  note: bort"]
    after = edited(SAMPLE, lambda d: d.pop("period"), tmp_path)
    assert changed_lines(SAMPLE, after) == ["-period:", "-  start: 2020", "-  end: 2023"]
    # A comment that stood before the next key stays before it.
    after = edited(SAMPLE, lambda d: d["kommun"].pop("name"), tmp_path)
    assert changed_lines(SAMPLE, after) == ["-  name: Luleå kommun          # fullt namn"]
    assert "  # kort namn används i löptext\n  short_name:" in after


def test_changing_a_value_inside_a_list_of_mappings(tmp_path: Path) -> None:
    after = edited(SAMPLE, lambda d: d["items"][1].__setitem__("value", 22), tmp_path)
    assert changed_lines(SAMPLE, after) == ["-    value: 2", "+    value: 22"]
    after = edited(SAMPLE, lambda d: d["items"][0].__setitem__("name", "one"), tmp_path)
    assert changed_lines(SAMPLE, after) == ["-  - name: ett   # första",
                                            "+  - name: one   # första"]


def test_removing_and_inserting_list_items_keeps_comments_in_place(tmp_path: Path) -> None:
    after = edited(SAMPLE, lambda d: d["items"].pop(0), tmp_path)
    assert changed_lines(SAMPLE, after) == ["-  - name: ett   # första", "-    value: 1"]
    after = edited(SAMPLE, lambda d: d["items"].insert(1, {"name": "mitt", "value": 5}),
                   tmp_path)
    assert changed_lines(SAMPLE, after) == ["+  - name: mitt", "+    value: 5"]
    assert "    value: 5\n  # mellan punkterna\n  - name: två" in after


def test_new_key_goes_after_the_key_it_follows(tmp_path: Path) -> None:
    def add(d: dict[str, Any]) -> None:
        rebuilt = {}
        for key, value in d.items():
            rebuilt[key] = value
            if key == "date":
                rebuilt["version"] = "0.3"
        d.clear()
        d.update(rebuilt)

    after = edited(SAMPLE, add, tmp_path)
    assert changed_lines(SAMPLE, after) == ["+version: '0.3'"]
    assert "date: 2025-01-01\nversion: '0.3'\ntext: >-" in after


def test_folded_text_stays_folded(tmp_path: Path) -> None:
    def reword(d: dict[str, Any]) -> None:
        d["text"] = d["text"].replace("tillsammans", "ihop")

    after = edited(SAMPLE, reword, tmp_path)
    assert changed_lines(SAMPLE, after) == [
        "-  Kommunen och polisen arbetar tillsammans mot brott och för trygghet i",
        "+  Kommunen och polisen arbetar ihop mot brott och för trygghet i"]

    def lengthen(d: dict[str, Any]) -> None:
        d["text"] = d["text"].replace("gemensam", "gemensam, årligen uppdaterad och av "
                                      "båda parter granskad och godkänd")

    after = edited(SAMPLE, lengthen, tmp_path)
    assert "text: >-\n  Kommunen och polisen arbetar tillsammans" in after  # first line kept
    assert all(len(line) <= 90 for line in after.splitlines())  # refolded, not one long line
    assert yaml.safe_load(after)["text"] == yaml.safe_load(SAMPLE)["text"].replace(
        "gemensam", "gemensam, årligen uppdaterad och av båda parter granskad och godkänd")


def test_multiline_text_becomes_a_literal_block(tmp_path: Path) -> None:
    after = edited(SAMPLE, lambda d: d["kommun"].__setitem__("note", "rad ett\nrad två"),
                   tmp_path)
    assert changed_lines(SAMPLE, after) == ["-  note: bort", "+  note: |-",
                                            "+    rad ett", "+    rad två"]


def test_literal_block_stays_literal(tmp_path: Path) -> None:
    text = "intro: |\n  Rad ett.\n  Rad två.\n# om nästa\nnext: 1\n"
    after = edited(text, lambda d: d.__setitem__("intro", "Rad ett.\nRad 2.\n"), tmp_path)
    assert changed_lines(text, after) == ["-  Rad två.", "+  Rad 2."]


def test_changing_the_kind_of_a_value_keeps_the_comments_around_it(tmp_path: Path) -> None:
    cases = [
        (lambda d: d.__setitem__("period", "ingen"),
         ["-period:", "-  start: 2020", "-  end: 2023", "+period: ingen"]),
        (lambda d: d.__setitem__("date", {"a": 1}), ["-date: 2025-01-01", "+date:", "+  a: 1"]),
        (lambda d: d.__setitem__("text", [1]),
         ["-text: >-", "-  Kommunen och polisen arbetar tillsammans mot brott och för "
          "trygghet i", "-  hela kommunen, med en gemensam lägesbild som grund för arbetet.",
          "+text:", "+  - 1"]),
        (lambda d: d.__setitem__("items", []),
         ["-items:", "-  - name: ett   # första", "-    value: 1", "+items: []",
          "-  - name: två", "-    value: 2"]),
        (lambda d: d.__setitem__("period", {}),
         ["-period:", "-  start: 2020", "-  end: 2023", "+period: {}"]),
    ]
    for change, expected in cases:
        after = edited(SAMPLE, change, tmp_path)
        assert changed_lines(SAMPLE, after) == expected
        assert "  # mellan punkterna\n" in after and after.endswith("# sist i filen\n")


def test_unchanged_values_keep_their_written_form(tmp_path: Path) -> None:
    text = "a: yes\nb: ~\nc: 0x1F\nd: 1.50\ne: 1:20\nf: 017\ng: 0o17\nh: 1e3\ni: x\n"
    after = edited(text, lambda d: d.__setitem__("i", "y"), tmp_path)
    assert changed_lines(text, after) == ["-i: x", "+i: y"]


def test_plain_reads_like_avtalsgen(tmp_path: Path) -> None:
    """ruamel reads YAML 1.2, avtalsgen (PyYAML) 1.1: plain() gives avtalsgen's values."""
    path = tmp_path / "v.yaml"
    path.write_text("a: yes\nb: 1:20\nc: 0o17\nd: 017\ne: 1e3\nf: on\ng: 2025-01-01\n"
                    "h: 2025-01-01 10:00:00\ni: ~\nbase: &b {x: 1, y: 2}\n"
                    "derived:\n  <<: *b\n  y: 3\n2019: år\n", "utf-8")
    data = store.plain(store.read(path).data)
    assert store._same(data, load_yaml(path).data)
    assert data["a"] is True and data["b"] == 80 and data["c"] == "0o17" and data["d"] == 15
    assert data["derived"] == {"x": 1, "y": 3} and data["2019"] == "år"


# --- text is stored verbatim ---------------------------------------------------------------

TEXTS = ["& < > \" '", "rad ett\nrad två", "slutar med radbrytning\n", "emoji 😀 ✓",
         "  leading spaces", "trailing spaces  ", "yes", "no", "null", "~", "1.0",
         "2025-01-01", "1:20", "0o17", "on", "", "#inte en kommentar", "key: value",
         "- inte en lista", "tab\there", "\ttab först", "a\\b", "{x}", "[x]", "*x", "&x",
         "!tag", "%p", "@x", "`x`", "radbrytning\u2028unicode", "nästa\x85rad",
         "rad med  \nmellanslag före radbrytning", "\n\ninledande radbrytningar",
         "flera\n\n\nradbrytningar\n\n", "1e3", "0x1F", "1_000", "+1", ".inf", "=", "<<",
         "Off", "Y", "NULL", " ", "\n", "x\r\ny", "\\n", "'", '"', "a # b", "a: b: c"]


@pytest.mark.parametrize("value", TEXTS)
def test_text_survives_merge_dump_and_reload(tmp_path: Path, value: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(SAMPLE, "utf-8")
    loaded = store.read(path)
    data = store.plain(loaded.data)
    data["kommun"]["name"] = value  # a line with an end-of-line comment
    data["kommun"]["note"] = value  # a plain value
    data["kommun"]["short_name"] = value  # a double-quoted value
    data["text"] = value  # a folded value
    data["items"].append(value)
    data[value] = "as a key"
    merged = store.merge(store.read(path).data, data)
    plain_dump = tmp_path / "plain.yaml"
    plain_dump.write_text(store.dump(merged), "utf-8")  # ruamel's text as it is
    store.save(path, data, loaded.version, author="Test", message="text")
    for reread in (yaml.safe_load(path.read_text("utf-8")), load_yaml(path).data,
                   yaml.safe_load(plain_dump.read_text("utf-8")), load_yaml(plain_dump).data):
        assert reread["kommun"]["name"] == value
        assert reread["kommun"]["note"] == value
        assert reread["kommun"]["short_name"] == value
        assert reread["text"] == value
        assert reread["items"][-1] == value
        assert reread[value] == "as a key"
    assert store.plain(store.read(path).data) == data


def test_values_of_every_kind_survive(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    data = {"int": 7, "float": 0.1, "bool": False, "none": None,
            "date": dt.date(2025, 2, 1), "list": [1, "1", 1.0, True],
            "nested": {"deep": [{"a": [[]]}, {}]}, "big": 10**30, "neg": -3.5e-7}
    store.save(path, data, store.VERSION_NONE, author="Test", message="kinds")
    assert store._same(load_yaml(path).data, data)


STYLES = """\
---
# Another hand: indented by 4, lists not indented, a literal block.
kommun:
    name: A   # namn
    list:
    - a
    - b
    # efter b
    - |
      rad ett
      rad två
    # efter blocket
tom: ~
flagga: yes
"""


def random_edit(data: Any, rng: random.Random) -> None:
    """Set, delete or insert a few values anywhere in plain data."""
    values = [*TEXTS[::3], 1, -5, 2.5, True, None, [], {}, ["a", "b"],
              {"k": "v", "n": [1, {"x": "y\nz"}]}, dt.date(2024, 2, 29)]
    for _ in range(rng.randint(1, 4)):
        places: list[tuple[Any, ...]] = [()]
        stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
        while stack:
            where, node = stack.pop()
            children = node.items() if isinstance(node, dict) else \
                enumerate(node) if isinstance(node, list) else []
            for key, child in children:
                places.append((*where, key))
                stack.append(((*where, key), child))
        where = rng.choice(places)
        parent = data
        for key in where[:-1]:
            parent = parent[key]
        node = parent[where[-1]] if where else data
        choice = rng.random()
        if where and choice < 0.4:
            parent[where[-1]] = copy.deepcopy(rng.choice(values))
        elif where and choice < 0.6:
            parent.pop(where[-1])
        elif isinstance(node, dict):
            items = list(node.items())
            items.insert(rng.randint(0, len(items)),
                         (f"{rng.choice(['ny', 'yes', '2019', 'a b'])}{rng.randint(0, 9)}",
                          copy.deepcopy(rng.choice(values))))
            node.clear()
            node.update(items)
        elif isinstance(node, list):
            node.insert(rng.randint(0, len(node)), copy.deepcopy(rng.choice(values)))


def test_random_edits_read_back_exactly(tmp_path: Path) -> None:
    """Whatever the editor changes, the text written reads back as its data."""
    rng = random.Random(20250101)
    texts = [SAMPLE, STYLES, (MUNICIPALITIES / "lulea" / "municipality.yaml").read_text()]
    for round_ in range(120):
        text = texts[round_ % len(texts)]
        path = tmp_path / "r.yaml"
        path.write_text(text, "utf-8")
        loaded = store.read(path)
        data = store.plain(loaded.data)
        random_edit(data, rng)
        store.save(path, data, loaded.version, author="R", message="random")
        assert store._same(load_yaml(path).data, data), (round_, path.read_text("utf-8"))


# --- optimistic locking --------------------------------------------------------------------


def test_second_editor_gets_a_conflict_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(SAMPLE, "utf-8")
    first, second = store.read(path), store.read(path)
    assert first.version == second.version == store.version_of(path)
    first.data["kommun"]["name"] = "Första"
    new_version = store.save(path, first.data, first.version, author="Anna", message="1")
    second.data["kommun"]["name"] = "Andra"
    with pytest.raises(store.Conflict) as caught:
        store.save(path, second.data, second.version, author="Bo Åström", message="2")
    conflict = caught.value
    assert conflict.exit_code == 2 and isinstance(conflict, AvtalsgenError)
    assert conflict.expected == second.version and conflict.current == new_version
    assert conflict.path == path and "changed" in str(conflict)
    assert load_yaml(path).data["kommun"]["name"] == "Första"
    assert store.version_of(path) == new_version
    kept = conflict.kept
    assert kept is not None and kept.parent == tmp_path / ".avtalsgen-conflicts"
    assert kept.name.startswith("m-") and kept.name.endswith("-bo-astrom.yaml")
    assert yaml.safe_load(kept.read_text("utf-8"))["kommun"]["name"] == "Andra"
    assert "# fullt namn" in kept.read_text("utf-8")  # the editor's text, comments and all
    again = pickle.loads(pickle.dumps(conflict))  # crosses from a worker process intact
    assert (again.path, again.kept, str(again)) == (conflict.path, kept, str(conflict))


def test_change_on_disk_between_read_and_save_is_a_conflict(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(SAMPLE, "utf-8")
    loaded = store.read(path)
    subprocess.run([sys.executable, "-c", "import sys, pathlib; p = pathlib.Path(sys.argv[1]);"
                    "p.write_text(p.read_text() + 'extra: 1\\n')", str(path)], check=True)
    loaded.data["date"] = dt.date(2030, 1, 1)
    with pytest.raises(store.Conflict) as caught:
        store.save(path, loaded.data, loaded.version, author="X", message="m")
    assert path.read_text("utf-8") == SAMPLE + "extra: 1\n"
    assert "2030-01-01" in caught.value.kept.read_text("utf-8")
    # A deleted file is a change too.
    loaded = store.read(path)
    path.unlink()
    with pytest.raises(store.Conflict) as caught:
        store.save(path, loaded.data, loaded.version, author="X", message="m")
    assert caught.value.current == store.VERSION_NONE and not path.exists()


def test_new_file_is_saved_with_version_none(tmp_path: Path) -> None:
    path = tmp_path / "ny" / "statistics.yaml"
    loaded = store.read(path)
    assert (loaded.data, loaded.version, loaded.text) == (None, store.VERSION_NONE, "")
    assert store.version_of(path) == store.VERSION_NONE
    version = store.save(path, {"tables": {}}, store.VERSION_NONE, author="A", message="ny")
    assert version == store.version_of(path) and load_yaml(path).data == {"tables": {}}
    with pytest.raises(store.Conflict):  # someone else created it first
        store.save(path, {"tables": {"x": 1}}, store.VERSION_NONE, author="B", message="ny")


def test_saving_unchanged_data_writes_and_commits_nothing(repo: Path) -> None:
    path = repo / "municipalities" / "demo" / "municipality.yaml"
    loaded = store.read(path)
    before = path.stat().st_mtime_ns
    assert store.save(path, loaded.data, loaded.version, author="A", message="m") == \
        loaded.version
    assert path.stat().st_mtime_ns == before and commits(repo) == 1


def test_update_applies_a_change_function(repo: Path) -> None:
    path = repo / "municipalities" / "demo" / "municipality.yaml"
    version = store.version_of(path)

    def rename(data: CommentedMap) -> None:
        data["kommun"]["name"] = "Ny"

    version = store.update(path, rename, version, author="A", message="namn")

    def replace(data: CommentedMap) -> dict[str, Any]:  # returns plain data: merged
        new = store.plain(data)
        new["period"]["end"] = 2030
        return new

    store.update(path, replace, version, author="A", message="period")
    text = path.read_text("utf-8")
    assert changed_lines(SAMPLE, text) == [
        "-  name: Luleå kommun          # fullt namn",
        "+  name: Ny                    # fullt namn",
        "-  end: 2023", "+  end: 2030"]
    with pytest.raises(store.Conflict):
        store.update(path, rename, version, author="A", message="stale")


# --- concurrency ---------------------------------------------------------------------------


def save_with_retry(path: Path, key: str, author: str) -> int:
    """read -> set one key -> save, again on a conflict; returns the attempts needed."""
    for attempt in range(1, 500):
        loaded = store.read(path)
        loaded.data[key] = f"värde {key}"
        try:
            store.save(path, loaded.data, loaded.version, author=author, message=f"sätt {key}")
            return attempt
        except store.Conflict:
            continue
    raise AssertionError("no save got through")


def test_threads_saving_at_once_lose_nothing(repo: Path) -> None:
    path = repo / "municipalities" / "demo" / "municipality.yaml"
    errors: list[BaseException] = []
    keys = [f"nyckel_{i}" for i in range(8)]

    def work(key: str) -> None:
        try:
            save_with_retry(path, key, f"Tråd {key}")
        except BaseException as e:  # every exception but Conflict is a failure
            errors.append(e)

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert time.monotonic() - started < 30
    assert not errors, errors
    data = load_yaml(path).data
    assert all(data[k] == f"värde {k}" for k in keys)
    assert commits(repo) == 1 + len(keys)
    assert changed_lines(SAMPLE, path.read_text("utf-8")) == \
        [f"+{k}: värde {k}" for k in sorted(keys, key=list(data).index)]
    assert git(repo, "status", "--porcelain", "--", "municipalities/demo/municipality.yaml") \
        == ""


WORKER = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from test_store import save_with_retry
print(save_with_retry(Path(sys.argv[1]), sys.argv[2], "Process " + sys.argv[2]))
"""


def test_processes_saving_at_once_lose_nothing(repo: Path) -> None:
    path = repo / "municipalities" / "demo" / "municipality.yaml"
    keys = [f"process_{i}" for i in range(4)]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    started = time.monotonic()
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(path), k,
                                 str(Path(__file__).parent)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env) for k in keys]
    results = [w.communicate(timeout=60) for w in workers]
    assert time.monotonic() - started < 30
    for worker, (out, err) in zip(workers, results, strict=True):
        assert worker.returncode == 0, err
        assert int(out.strip()) >= 1
    data = load_yaml(path).data
    assert all(data[k] == f"värde {k}" for k in keys)
    assert commits(repo) == 1 + len(keys)
    authors = git(repo, "log", "--format=%an", f"-{len(keys)}").split("\n")
    assert sorted(filter(None, authors)) == sorted(f"Process {k}" for k in keys)


# --- atomic writes -------------------------------------------------------------------------


def test_a_failed_write_leaves_the_file_and_history_intact(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = repo / "municipalities" / "demo" / "municipality.yaml"
    real = output.write_atomic
    seen: list[bytes] = []

    def crash_before_rename() -> None:
        # The new text is in a temporary file beside the original ...
        seen.extend(p.read_bytes() for p in path.parent.glob(".municipality.yaml.*.tmp"))
        raise OSError("disk gone")  # ... when the machine dies

    def failing(target: Path, data: bytes, before_rename: Any = None) -> None:
        real(target, data, before_rename=crash_before_rename)

    monkeypatch.setattr(output, "write_atomic", failing)
    loaded = store.read(path)
    loaded.data["kommun"]["name"] = "Halvskriven"
    with pytest.raises(OSError, match="disk gone"):
        store.save(path, loaded.data, loaded.version, author="A", message="m")
    assert len(seen) == 1 and b"Halvskriven" in seen[0]
    assert path.read_text("utf-8") == SAMPLE
    assert not list(path.parent.glob("*.tmp")) and commits(repo) == 1
    monkeypatch.setattr(output, "write_atomic", real)
    store.save(path, loaded.data, loaded.version, author="A", message="m")  # works again
    assert load_yaml(path).data["kommun"]["name"] == "Halvskriven"


# --- git -----------------------------------------------------------------------------------


def test_save_commits_with_author_and_message(repo: Path) -> None:
    path = repo / "municipalities" / "demo" / "municipality.yaml"
    loaded = store.read(path)
    loaded.data["period"]["end"] = 2025
    store.save(path, loaded.data, loaded.version, author="Åsa Öberg",
               message="Förläng perioden\n\n#12: beslut i styrgruppen")
    assert git(repo, "log", "-1", "--format=%an%n%ae%n%s") == \
        "Åsa Öberg\nasa-oberg@avtalsgen.invalid\nFörläng perioden\n"
    assert "#12: beslut i styrgruppen" in git(repo, "log", "-1", "--format=%B")
    assert git(repo, "show", "--name-only", "--format=", "HEAD") == \
        "municipalities/demo/municipality.yaml\n"


def test_save_commits_only_its_own_file(repo: Path) -> None:
    other = repo / "other.txt"
    other.write_text("staged by the user\n", "utf-8")
    git(repo, "add", "other.txt")
    path = repo / "municipalities" / "demo" / "new.yaml"
    store.save(path, {"type": "agreement"}, store.VERSION_NONE, author="A", message="ny fil")
    assert git(repo, "show", "--name-only", "--format=", "HEAD") == \
        "municipalities/demo/new.yaml\n"
    assert git(repo, "status", "--porcelain") == "A  other.txt\n"


def test_commit_works_without_any_git_identity(repo: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                 "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(repo.parent / "home"))
    path = repo / "municipalities" / "demo" / "municipality.yaml"
    loaded = store.read(path)
    loaded.data["date"] = dt.date(2026, 1, 1)
    store.save(path, loaded.data, loaded.version, author="Kim", message="datum")
    assert git(repo, "log", "-1", "--format=%an|%s") == "Kim|datum\n"
    assert commits(repo) == 2


def test_commit_a_new_folder(repo: Path, tmp_path: Path) -> None:
    folder = repo / "municipalities" / "ny"
    (folder / "templates").mkdir(parents=True)
    (folder / "municipality.yaml").write_text("kommun: {name: Ny}\n", "utf-8")
    (folder / "templates" / "logo.png").write_bytes(b"\x89PNG")
    store.keep_conflict(folder / "municipality.yaml", "a: 1\n", "X")  # never committed
    rev = store.commit(folder, [folder], author="Eva", message="Ny kommun")
    assert rev is not None and len(rev) == 40
    assert git(repo, "log", "-1", "--format=%H|%an|%s") == f"{rev}|Eva|Ny kommun\n"
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "municipalities/ny/municipality.yaml", "municipalities/ny/templates/logo.png"]
    assert store.commit(folder, [folder], author="Eva", message="igen") is None
    assert store.commit(tmp_path / "outside", [tmp_path / "outside"], author="E",
                        message="m") is None
    with pytest.raises(store.StoreError):
        store.commit(folder, [tmp_path], author="E", message="m")


def test_outside_git_save_just_writes(tmp_path: Path, git_env: dict[str, str]) -> None:
    path = tmp_path / "plain" / "municipality.yaml"
    path.parent.mkdir()
    path.write_text(SAMPLE, "utf-8")
    assert store.git_root(path.parent) is None and store.history(path.parent) == []
    loaded = store.read(path)
    loaded.data["period"]["start"] = 2019
    store.save(path, loaded.data, loaded.version, author="A", message="m")
    assert changed_lines(SAMPLE, path.read_text("utf-8")) == ["-  start: 2020",
                                                              "+  start: 2019"]
    assert not (tmp_path / "plain" / ".git").exists()
    with pytest.raises(store.StoreError, match="not in a git repository"):
        store.file_at(path, "HEAD")


def test_history_and_old_versions(repo: Path, tmp_path: Path) -> None:
    folder = repo / "municipalities" / "demo"
    path = folder / "municipality.yaml"
    assert store.git_root(folder) == Path(os.path.realpath(repo))
    loaded = store.read(path)
    loaded.data["period"]["end"] = 2024
    v2 = store.save(path, loaded.data, loaded.version, author="Anna", message="slut 2024")
    store.save(folder / "statistics.yaml", {"tables": {}}, store.VERSION_NONE,
               author="Bo", message="statistik")
    (repo / "elsewhere.txt").write_text("x", "utf-8")  # a commit outside the folder
    git(repo, "add", "elsewhere.txt")
    git(repo, "commit", "-q", "-m", "annat")
    loaded = store.read(path)
    loaded.data["period"]["end"] = 2025
    store.save(path, loaded.data, v2, author="Anna", message="slut 2025")

    found = store.history(folder)
    assert [c.message for c in found] == ["slut 2025", "statistik", "slut 2024", "start"]
    assert [c.files for c in found] == [["municipality.yaml"], ["statistics.yaml"],
                                        ["municipality.yaml"], ["municipality.yaml"]]
    assert [c.author for c in found[:3]] == ["Anna", "Bo", "Anna"]
    assert all(len(c.rev) == 40 and c.rev.startswith(c.short) for c in found)
    assert all(c.date.tzinfo is not None for c in found)
    assert [c.message for c in store.history(folder, limit=2)] == ["slut 2025", "statistik"]

    first, second = found[-1].rev, found[-2].rev
    assert store.file_at(path, first) == SAMPLE.encode()
    assert b"end: 2024" in store.file_at(path, second)
    assert store.file_at(folder / "statistics.yaml", first) is None
    assert store.file_at(path, "HEAD") == path.read_bytes()
    assert store.file_at(path, "main~1") == store.file_at(path, found[1].rev)

    old = store.folder_at(folder, second, tmp_path / "export")
    assert old == tmp_path / "export" / "demo"
    assert sorted(p.name for p in old.iterdir()) == ["municipality.yaml"]
    assert b"end: 2024" in (old / "municipality.yaml").read_bytes()
    newer = store.folder_at(folder, "HEAD", tmp_path / "export2")
    assert sorted(p.name for p in newer.iterdir()) == ["municipality.yaml", "statistics.yaml"]
    with pytest.raises(store.StoreError, match="exists already"):
        store.folder_at(folder, second, tmp_path / "export")
    with pytest.raises(store.StoreError, match="no revision"):
        store.file_at(path, "0" * 40)
    with pytest.raises(store.StoreError, match="did not exist"):
        store.folder_at(repo / "municipalities" / "nowhere", "HEAD", tmp_path / "export3")


@pytest.mark.parametrize("rev", ["--output=OUT", "-h", "--help", "-p", "HEAD --output=OUT",
                                 "", "HEAD\n--output=OUT", "-1"])
def test_revisions_that_look_like_options_are_refused(repo: Path, tmp_path: Path,
                                                      rev: str) -> None:
    rev = rev.replace("OUT", str(tmp_path / "out"))
    path = repo / "municipalities" / "demo" / "municipality.yaml"
    with pytest.raises(AvtalsgenError):
        store.file_at(path, rev)
    with pytest.raises(AvtalsgenError):
        store.folder_at(path.parent, rev, tmp_path / "export")
    assert not (tmp_path / "out").exists() and not (tmp_path / "export").exists()
    assert not (repo / "OUT").exists()


# --- bounds and errors ---------------------------------------------------------------------


def test_read_refuses_a_huge_file(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with open(path, "wb") as f:
        f.truncate(store.MAX_FILE_BYTES + 1)
    with pytest.raises(ConfigError, match="larger than 5 MB"):
        store.read(path)


def test_read_refuses_a_fifo_without_hanging(tmp_path: Path) -> None:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    with pytest.raises(ConfigError, match="not a regular file"):
        store.read(path)
    with pytest.raises(ConfigError, match="not a regular file"):
        store.read(tmp_path)


@pytest.mark.parametrize(("text", "message"), [
    ("a: [1, 2\n", "YAML syntax error"),
    ("a: 1\na: 2\n", "YAML syntax error"),
    ("a: &x [*x]\n", "contains itself"),
    ("a: \x01\n", "U\\+0001"),
])
def test_read_reports_broken_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message):
        store.read(path)


def test_other_file_styles_are_kept(tmp_path: Path) -> None:
    """Unindented lists, a document marker, CRLF line ends and a byte order mark."""
    text = "---\n# doc\nkommun:\n    name: A\n    list:\n    - a\n    - b\nnull_value: ~\n"
    path = tmp_path / "s.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    loaded = store.read(path)
    loaded.data["kommun"]["name"] = "B"
    loaded.data["kommun"]["list"].append("c")
    store.save(path, loaded.data, loaded.version, author="A", message="m")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\n" not in raw.replace(b"\r\n", b"")
    after = raw[3:].decode().replace("\r\n", "\n")
    assert changed_lines(text, after) == ["-    name: A", "+    name: B", "+    - c"]


def test_comment_only_file_keeps_its_comments(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("# Fyll i statistik här.\n", "utf-8")
    loaded = store.read(path)
    assert loaded.data is None
    store.save(path, {"tables": {}}, loaded.version, author="A", message="m")
    assert path.read_text("utf-8") == "# Fyll i statistik här.\ntables: {}\n"


def test_aliases_are_not_changed_through_another_place(tmp_path: Path) -> None:
    text = "base: &b\n  x: 1\ncopy: *b\nderived:\n  <<: *b\n  y: 2\n"
    path = tmp_path / "a.yaml"
    path.write_text(text, "utf-8")
    loaded = store.read(path)
    data = store.plain(loaded.data)
    data["copy"]["x"] = 5
    data["derived"]["x"] = 6
    store.save(path, store.merge(loaded.data, data), loaded.version, author="A", message="m")
    assert load_yaml(path).data == {"base": {"x": 1}, "copy": {"x": 5},
                                    "derived": {"x": 6, "y": 2}}
    assert "base: &b\n  x: 1\n" in path.read_text("utf-8")
    # Changing the anchored mapping changes what merges it in only if the editor says so.
    loaded = store.read(path)
    data = store.plain(loaded.data)
    data["base"]["x"] = 7
    data["derived"]["x"] = 7
    store.save(path, data, loaded.version, author="A", message="m")
    assert load_yaml(path).data == {"base": {"x": 7}, "copy": {"x": 5},
                                    "derived": {"x": 7, "y": 2}}
    assert "derived:\n  <<: *b\n  y: 2\n" in path.read_text("utf-8")
    # A key that << brings in cannot be removed: it would come back on reading.
    loaded = store.read(path)
    data = store.plain(loaded.data)
    del data["derived"]["x"]
    with pytest.raises(store.StoreError, match="merged in"):
        store.merge(loaded.data, data)


def test_merge_rejects_values_yaml_cannot_hold() -> None:
    with pytest.raises(TypeError):
        store.merge(CommentedMap(), {"a": object()})
    with pytest.raises(TypeError):
        store.merge(CommentedMap(), {("a", "b"): 1})


def test_save_refuses_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    target.write_text("a: 1\n", "utf-8")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    with pytest.raises(store.StoreError, match="symbolic link"):
        store.save(link, {"a": 2}, store.version_of(link), author="A", message="m")
    assert target.read_text("utf-8") == "a: 1\n" and link.is_symlink()


def test_keep_conflict_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "m" / "verksamhetsplan.yaml"
    kept = {store.keep_conflict(path, f"a: {i}\n", "Åke Ström") for i in range(5)}
    assert len(kept) == 5
    assert all(k.parent == tmp_path / "m" / ".avtalsgen-conflicts" for k in kept)
    assert all(k.name.startswith("verksamhetsplan-") and "-ake-strom" in k.name for k in kept)
    assert sorted(k.read_text() for k in kept) == [f"a: {i}\n" for i in range(5)]


# --- the save path under concurrency: per-file locks, one commit per save -----------------


def test_threads_saving_two_municipalities_commit_each_save_separately(repo: Path) -> None:
    """Saves of two files render in parallel (per-file locks) but commit one by one: every
    save is its own commit, with its own author, holding exactly its own file."""
    other = repo / "municipalities" / "annan" / "municipality.yaml"
    other.parent.mkdir()
    other.write_text(SAMPLE, "utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "second")
    files = {"demo": repo / "municipalities" / "demo" / "municipality.yaml", "annan": other}
    errors: list[BaseException] = []

    def work(slug: str, n: int) -> None:
        try:
            for i in range(n):
                save_with_retry(files[slug], f"{slug}_{i}", f"Redaktör {slug}")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(slug, 4)) for slug in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert commits(repo) == 2 + 8
    log = git(repo, "log", "--format=%x1e%an", "--name-only", "-8").split("\x1e")[1:]
    for record in log:
        author, *names = [line for line in record.splitlines() if line]
        slug = author.removeprefix("Redaktör ")
        assert names == [f"municipalities/{slug}/municipality.yaml"], record
    for slug, path in files.items():
        data = load_yaml(path).data
        assert all(data[f"{slug}_{i}"] == f"värde {slug}_{i}" for i in range(4))
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_a_change_on_disk_while_rendering_is_a_conflict(repo: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that takes no lock (a person, an import) between the version check and the
    write: the save is refused and kept aside, and the other text stays."""
    path = repo / "municipalities" / "demo" / "municipality.yaml"
    loaded = store.read(path)
    loaded.data["note"] = "från redigeraren"
    render = store._render

    def meanwhile(*args: Any) -> str:
        path.write_text(SAMPLE.replace("note: bort", "note: för hand"), "utf-8")
        return render(*args)

    monkeypatch.setattr(store, "_render", meanwhile)
    with pytest.raises(store.Conflict) as refused:
        store.save(path, loaded.data, loaded.version, author="A", message="m")
    assert "note: för hand" in path.read_text("utf-8")
    assert refused.value.kept is not None and "från redigeraren" in \
        refused.value.kept.read_text("utf-8")
    assert commits(repo) == 1


def test_plain_and_round_trip_data_save_the_same_text(tmp_path: Path) -> None:
    """save() parses a file once for plain data (ruamel's rewrite made before the merge);
    the text written is the same as for the tree from read()."""
    for source in sorted(MUNICIPALITIES.glob("*/*.yaml")):
        texts = []
        for kind in ("tree", "plain"):
            path = tmp_path / kind / source.parent.name / source.name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(source.read_bytes())
            loaded = store.read(path)
            if kind == "tree":
                loaded.data["ny_nyckel"] = "ett värde"
                data = loaded.data
            else:
                data = {**store.plain(loaded.data), "ny_nyckel": "ett värde"}
            store.save(path, data, loaded.version, author="A", message="m")
            texts.append(path.read_text("utf-8"))
        assert texts[0] == texts[1], source


def test_a_tracked_file_is_committed_by_one_git_process(repo: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from avtalsgen.store import git as store_git

    path = repo / "municipalities" / "demo" / "municipality.yaml"
    new = repo / "municipalities" / "demo" / "ny.yaml"
    store.read(path)  # the repository lookup is remembered from here on
    store_git._repo(path.parent)
    calls: list[str] = []
    run = store_git._git

    def counted(cwd: Path, *args: str, **kw: Any) -> Any:
        calls.append(args[0])
        return run(cwd, *args, **kw)

    monkeypatch.setattr(store_git, "_git", counted)
    loaded = store.read(path)
    loaded.data["note"] = "ändrad"
    store.save(path, loaded.data, loaded.version, author="Anna", message="m")
    assert calls == ["commit"]
    calls.clear()
    store.save(new, {"a": 1}, store.VERSION_NONE, author="Anna", message="ny fil")
    assert calls == ["commit", "add", "commit"]  # not tracked yet: added, then committed
    assert git(repo, "log", "-2", "--format=%an %s") == "Anna ny fil\nAnna m\n"


def test_the_remembered_repository_notices_a_new_one_inside(repo: Path) -> None:
    from avtalsgen.store import git as store_git

    folder = repo / "municipalities" / "demo"
    assert store.git_root(folder) == repo
    assert store.git_root(folder) == repo  # remembered
    git(folder, "init", "-q")
    assert store.git_root(folder) == folder
    (folder / ".git").rename(folder / "old-git")
    assert store.git_root(folder) == repo
    assert str(folder) in store_git._REPOS
