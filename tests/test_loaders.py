from knowledge.loaders import catalogue_fingerprint, load_catalogue


def test_bad_yaml_record_reported_and_rest_loaded(tmp_path):
    path = tmp_path / "cat.yaml"
    path.write_text(
        "procedures:\n"
        "  - {code: '1.000001', name: 'Thủ tục A', group: a}\n"
        "  - {code: 'bad', name: 'Thủ tục B', group: b}\n"
        "  - {code: '1.000003', name: 'Thủ tục C', group: c, channels: [{kind: fax}]}\n"
        "faq:\n"
        "  - {topic: 'Not A Slug', title: x, answer: y}\n",
        encoding="utf-8",
    )
    result = load_catalogue(path)
    assert [p.code for p in result.catalogue.procedures] == ["1.000001"]
    located = {(p.row, p.field) for p in result.problems}
    assert (2, "code") in located and (3, "channels.0.kind") in located and (1, "topic") in located
    assert all(str(path) == p.file for p in result.problems)


def test_unparseable_file_is_reported_not_fatal(tmp_path):
    (tmp_path / "a.yaml").write_text("procedures: [\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"kind": "procedure", "code": "1.000001", "name": "Thủ tục A", "group": "a"}\n[1]\n', encoding="utf-8")
    result = load_catalogue(tmp_path)
    assert len(result.catalogue.procedures) == 1
    assert len(result.problems) == 2


def test_later_roots_override_by_code_and_fingerprint_is_stable(tmp_path, mini_catalogue):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("procedures:\n  - {code: '1.000001', name: 'Tên mới', group: khai-sinh}\n", encoding="utf-8")
    from tests.conftest import TESTS

    merged = load_catalogue(TESTS / "data" / "mini.yaml", overlay).catalogue
    assert merged.by_code()["1.000001"].name == "Tên mới"
    assert catalogue_fingerprint(mini_catalogue) == catalogue_fingerprint(load_catalogue(TESTS / "data" / "mini.yaml").catalogue)
    assert catalogue_fingerprint(merged) != catalogue_fingerprint(mini_catalogue)


def test_bundled_data_files_read_alike_with_the_fast_loader():
    """`parse_bundled_yaml` (libyaml when present) builds the same values as PyYAML's pure-Python
    safe loader for every data file the project ships, so the faster start changes no behaviour."""
    from importlib import resources

    import yaml

    from knowledge.safe_read import parse_bundled_yaml

    files = [path for package in ("bot", "indexer", "feedback")
             for path in (resources.files(package) / "data").iterdir() if path.name.endswith(".yaml")]
    assert len(files) >= 8
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert parse_bundled_yaml(text) == yaml.safe_load(text), path.name
