"""Catalogued messages (issue 20): every message id in the code is translated into
Swedish and English, the CLI speaks the environment's language, and the web editor
shows problems in Swedish, the field by its label and linked to it."""

from __future__ import annotations

import pickle
import re
import shutil
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from click.testing import CliRunner
from conftest import MUNICIPALITIES, form_fields, git, seed_repository
from pydantic import ValidationError
from starlette.testclient import TestClient

from avtalsgen import messages
from avtalsgen import model as m
from avtalsgen.cli import main
from avtalsgen.config import Source
from avtalsgen.errors import ConfigError, Problem
from avtalsgen.importing.report import ImportReport
from avtalsgen.messages import ENGLISH, SWEDISH, FieldRef, Msg, cli_language
from avtalsgen.store.errors import Conflict
from avtalsgen.validate import problems_from
from avtalsgen.web.app import create_app

SRC = Path(messages.__file__).resolve().parent
LOCALE = SRC / "locale"
KEYWORDS = {"N_": None, "Msg": (1,), "tr": (1,)}
UNKNOWN_KEY = {"parent", "close_label"}  # see validation_messages.unknown_key
# English words that give a message away as untranslated.
ENGLISH_WORDS = re.compile(r"\b(the|should|must|field|input|valid|required|unknown|"
                           r"error|table|value|Input|Field)\b")


def code_ids() -> set[str]:
    """Every message id the code marks (as `pybabel extract` finds them)."""
    found = extract_from_dir(str(SRC), method_map=[("**.py", "python")],
                             keywords=KEYWORDS)
    return {msgid for _file, _line, msgid, _comments, _context in found
            if isinstance(msgid, str)}


def po(lang: str):
    with (LOCALE / lang / "LC_MESSAGES" / "avtalsgen.po").open("rb") as f:
        return read_po(f, locale=lang)


def fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_every_message_in_the_code_is_in_the_template_and_both_catalogues() -> None:
    ids = code_ids()
    assert len(ids) > 100
    with (LOCALE / "avtalsgen.pot").open("rb") as f:
        template = {msg.id for msg in read_po(f) if msg.id}
    assert ids == template, ("run pybabel extract (see CONTRIBUTING.md): "
                             f"missing {sorted(ids - template)}, stale {sorted(template - ids)}")
    for lang in ("sv", "en"):
        catalogue = po(lang)
        entries = {msg.id: msg for msg in catalogue if msg.id}
        assert set(entries) == ids, f"{lang}: run pybabel update (see CONTRIBUTING.md)"
        for msgid, msg in entries.items():
            assert msg.string, f"{lang}: {msgid!r} is not translated"
            assert not msg.fuzzy, f"{lang}: {msgid!r} is fuzzy"
            # A translation uses only the placeholders its id is given (an unknown key
            # also gets where it is and the suggestion's label, for the Swedish).
            given = fields(msgid) | (UNKNOWN_KEY if msgid.startswith("unknown key") else set())
            assert fields(msg.string) <= given, (lang, msgid, msg.string)


def test_the_swedish_catalogue_is_swedish() -> None:
    untranslated = [msg.id for msg in po("sv") if msg.id and msg.string == msg.id
                    and ENGLISH_WORDS.search(msg.id)]
    assert untranslated == []
    english = [msg.string for msg in po("sv") if msg.id
               and ENGLISH_WORDS.search(re.sub(r"\{[^}]*\}|'[^']*'", "", msg.string))]
    assert english == []


def test_the_cli_language_follows_the_environment() -> None:
    assert cli_language({"LANG": "sv_SE.UTF-8"}) == SWEDISH
    assert cli_language({"LANG": "C.UTF-8"}) == ENGLISH
    assert cli_language({}) == ENGLISH
    assert cli_language({"LANG": "sv_SE.UTF-8", "LC_ALL": "en_GB.UTF-8"}) == ENGLISH
    assert cli_language({"LANG": "C", "LANGUAGE": "sv:en"}) == SWEDISH
    assert cli_language({"LC_ALL": "sv_FI.UTF-8"}) == SWEDISH


def broken(tmp_path: Path) -> Path:
    folder = tmp_path / "lulea"
    shutil.copytree(MUNICIPALITIES / "lulea", folder)
    path = folder / "municipality.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  short_name: Luleå\n", "  shortname: Luleå\n", 1)
    text = re.sub(r"start: 20\d\d", "start: tjugotjugo", text, count=1)
    path.write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("env", "expected", "absent"), [
    ({"LANG": "C.UTF-8"}, ["period.start: must be a whole number (got 'tjugotjugo')",
                           "kommun.shortname: unknown key 'shortname' (did you mean "
                           "'short_name'?)", "kommun.short_name: required field is missing"],
     ["måste"]),
    ({"LANG": "sv_SE.UTF-8"}, [
        "period.start: måste vara ett heltal (nu: 'tjugotjugo')",
        "kommun.shortname: okänt fält 'shortname' i Kommun – menade du 'short_name' "
        "(Kort namn)?", "kommun.short_name: måste fyllas i"], ["must", "Input should"]),
])
def test_the_cli_prints_problems_in_the_language_of_lang(tmp_path: Path, env, expected,
                                                         absent) -> None:
    folder = broken(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(folder)], env=env)
    assert result.exit_code == 2, result.output
    assert re.search(r"municipality\.yaml:\d+: period\.start:", result.output)
    for text in expected:
        assert text in result.output, result.output
    for text in absent:
        assert text not in result.output


def errors_of(cls: type, data: dict, file: str = "municipality.yaml") -> list[Problem]:
    try:
        cls.model_validate(data)
    except ValidationError as e:
        return problems_from(e, Source(Path(file), data))
    raise AssertionError("valid")


@pytest.mark.parametrize(("cls", "data", "field", "swedish"), [
    (m.Period, {"start": "x", "end": 2024}, "start", "måste vara ett heltal (nu: 'x')"),
    (m.Period, {"start": 2025, "end": 2024}, "", "slutet (2024) ligger före början (2025)"),
    (m.Period, {"start": 1500, "end": 2024}, "start", "måste vara minst 1900 (nu: 1500)"),
    (m.Period, {"end": 2024}, "start", "måste fyllas i"),
    (m.Signatory, {"name": "A", "title": "B", "party": "region"}, "party",
     "måste vara Kommunen"),
    (m.Party, {"name": " ", "short_name": "A"}, "name", "får inte vara tom"),
    (m.Signing, {"date": "2025-02-30"}, "date", "måste vara ett datum som 2025-01-31"),
    (m.Party, {"name": "A", "short_name": "B", "x": 1}, "x", "okänt fält 'x' i"),
])
def test_pydantic_errors_are_in_the_users_words(cls, data, field, swedish) -> None:
    found = errors_of(cls, data)
    assert any(p.field == field and swedish in p.text(SWEDISH) for p in found), \
        [(p.field, p.text(SWEDISH)) for p in found]
    for problem in found:
        assert not ENGLISH_WORDS.search(re.sub(r"'[^']*'", "", problem.text(SWEDISH)))


def test_a_table_total_that_disagrees_is_in_swedish() -> None:
    found = errors_of(m.Statistics, {"tables": {"brott": {
        "columns": ["", "2024"], "rows": [["A", 10], ["B", 20]],
        "total": {"label": "Summa", "values": [31]}}}}, "statistics.yaml")
    assert [p.text(SWEDISH) for p in found] == [
        "den angivna summan 31 i kolumnen '2024' stämmer inte med summan av värdena (30)"]
    assert "disagrees with the sum of the data (30)" in found[0].message


def test_a_problem_crosses_processes_with_its_message() -> None:
    problem = Problem("a.yaml", 3, "title", Msg("must not be empty"))
    again = pickle.loads(pickle.dumps(ConfigError([problem]))).problems[0]
    assert again == problem and again.text(SWEDISH) == "får inte vara tom"
    assert str(again) == "a.yaml:3: title: must not be empty"


def test_field_refs_name_fields_by_their_labels() -> None:
    assert FieldRef("municipality", ("period", "start")).render(SWEDISH) == \
        "Period › Första år"
    assert FieldRef("municipality", ("period", "start")).render(ENGLISH) == "period.start"
    assert FieldRef("document", ("sections", 0, "sections", 1, "heading")).render(
        SWEDISH) == "Avsnitt 1.2 › Rubrik"
    assert FieldRef("statistics", ("tables", "brott", "sample_data"), leaf=True).render(
        SWEDISH) == "Exempeldata"


def test_the_import_report_and_a_conflict_speak_both_languages(tmp_path: Path) -> None:
    report = ImportReport(counts={"headings": 3, "paragraphs": 12})
    report.uncertain.append(Msg("must not be empty"))
    assert report.found(SWEDISH) == ["3 rubriker", "12 stycken"]
    assert report.notes(SWEDISH) == ["får inte vara tom"]
    assert "found: 3 headings, 12 paragraphs" in report.summary(ENGLISH)
    assert "hittade: 3 rubriker, 12 stycken" in report.summary(SWEDISH)
    conflict = Conflict(tmp_path / "a.yaml", "a" * 64, "b" * 64, tmp_path / "kept.yaml")
    assert "changed by someone else" in str(conflict)
    public = conflict.text(SWEDISH, public=True)
    assert "Någon annan har ändrat" in public and "yaml" not in public


# --- the web editor -------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    def change(root: Path) -> None:
        path = root / "skelleftea" / "municipality.yaml"
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"start: 20\d\d", "start: tjugotjugo", text, count=1)
        path.write_text(text.replace("  short_name: ", "  shortname: ", 1), encoding="utf-8")
        doc = root / "skelleftea" / "underlag.yaml"
        if doc.exists():  # a section's heading emptied: its problem is on the section page
            text = doc.read_text(encoding="utf-8")
            doc.write_text(re.sub(r"(\n  - heading: )[^\n]+", r"\1''", text, count=1),
                           encoding="utf-8")

    root = seed_repository(tmp_path, change)
    git(root, "status")
    return TestClient(create_app(root), base_url="http://127.0.0.1")


def links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>:', html)


def test_the_municipality_page_shows_problems_in_swedish_linked_to_their_fields(
        client: TestClient) -> None:
    html = client.get("/k/skelleftea").text
    assert "tjugotjugo" in html
    for text in ("must be", "unknown key", "municipality.yaml", "period.start",
                 "required field"):
        assert text not in re.sub(r'href="[^"]*"', "", html)
    found = dict(links(html))
    href = next(h for h, label in found.items() if label == "Period › Första år")
    assert href == "/k/skelleftea/fil/kommun#f-period.start"
    page = client.get(href.split("#")[0]).text
    assert 'id="f-period.start"' in page
    assert "måste vara ett heltal (nu: &#39;tjugotjugo&#39;)" in page
    assert "okänt fält &#39;shortname&#39; i Kommun – menade du &#39;short_name&#39; " \
           "(Kort namn)?" in page


def test_a_problem_in_a_section_links_to_the_section_page(client: TestClient) -> None:
    html = client.get("/k/skelleftea").text
    section = [(h, label) for h, label in links(html) if "/avsnitt/" in h]
    if not section:
        pytest.skip("the seed has no top-level section heading to empty")
    href, label = section[0]
    assert re.fullmatch(r"/k/skelleftea/dok/underlag/avsnitt/0#f-sections\[0\]\.heading",
                        href), href
    assert label.endswith("Rubrik") and "Avsnitt" in label
    page, anchor = href.split("#")
    assert f'id="{anchor}"' in client.get(page).text


def test_the_final_blockers_name_the_sample_data_box(tmp_path: Path) -> None:
    root = seed_repository(tmp_path)
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    html = client.get("/k/skelleftea").text
    version = re.search(r'name="form:version" value="([0-9a-f]{64})"', html).group(1)
    token = form_fields(html)["form:csrf"]
    response = client.post("/k/skelleftea/slutlig", data={"form:csrf": token,
                                                          "form:version": version})
    assert response.status_code == 409
    blockers = links(response.text)
    assert blockers and all(h.startswith("/k/skelleftea/fil/statistik#f-tables.")
                            and h.endswith(".sample_data") for h, _label in blockers)
    assert all(label.startswith("Tabell ”") and label.endswith("› Exempeldata")
               for _h, label in blockers)
    assert "kryssa ur Exempeldata" in response.text
    for text in ("statistics.yaml", "sample data", "sample_data:", "root/"):
        assert text not in re.sub(r'href="[^"]*"', "", response.text)
    target = client.get("/k/skelleftea/fil/statistik").text
    assert f'id="{blockers[0][0].split("#")[1]}"' in target


def test_the_cli_speaks_swedish_when_lang_is_swedish(tmp_path: Path) -> None:
    folder = tmp_path / "lulea"
    shutil.copytree(MUNICIPALITIES / "lulea", folder)
    swedish = CliRunner().invoke(main, ["validate", str(folder)],
                                 env={"LANG": "sv_SE.UTF-8"})
    assert re.search(r"^ok .*lulea \(\d+ dokument", swedish.output, re.M), swedish.output
    english = CliRunner().invoke(main, ["validate", str(folder)], env={"LANG": "C.UTF-8"})
    assert re.search(r"^ok .*lulea \(\d+ documents", english.output, re.M), english.output
    missing = CliRunner().invoke(main, ["validate", "--root", str(tmp_path / "saknas")],
                                 env={"LANG": "sv_SE.UTF-8"})
    assert missing.exit_code == 2 and "fel: " in missing.output, missing.output


def test_an_import_note_reads_as_swedish_in_the_review_list() -> None:
    report = ImportReport()
    report.uncertain.append(Msg("the document has no title (no Title style and no larger "
                                "first line): {title!r} was used",
                                title="Samverkan för trygghet"))
    assert report.notes(SWEDISH) == [
        "dokumentet saknar titel (ingen rubrik i stilen Rubrik och ingen större första "
        "rad): 'Samverkan för trygghet' används som titel"]
    assert report.topics() == {"title"}
