"""The template reader itself, on small templates written for the purpose (no chart needed)."""

from __future__ import annotations

from pathlib import Path

from tests.chart.template_refs import ANY_KEY, LIST_ITEM, References, template_references


def read(tmp_path: Path, text: str) -> References:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "t.yaml").write_text(text)
    return template_references(tmp_path)


def test_absolute_references_in_every_spelling(tmp_path: Path) -> None:
    refs = read(
        tmp_path,
        '{{ .Values.a.b }} {{ $.Values.c }} {{ (.Values.d).e.f }} {{ index .Values "g" "h.i" }}'
        ' {{ get .Values.j "k" }} {{ ((.Values.l).m) | quote }}',
    )
    for path in [("a", "b"), ("c",), ("d", "e", "f"), ("g", "h.i"), ("j", "k"), ("l", "m")]:
        assert refs.reads(path), path
    assert not refs.reads(("a", "x"))


def test_a_truthiness_test_does_not_read_the_keys_below(tmp_path: Path) -> None:
    refs = read(tmp_path, "{{- if .Values.aws }}{{ .Values.aws.profileName }}{{- end }}")
    assert refs.reads(("aws",)) and refs.reads(("aws", "profileName"))
    assert not refs.reads(("aws", "s3WriteProfile"))
    assert refs.touches(("aws",))


def test_with_and_to_yaml_read_a_whole_block(tmp_path: Path) -> None:
    refs = read(
        tmp_path,
        "{{- with .Values.nodeSelector }}{{ toYaml . }}{{- end }}"
        "{{ toYaml .Values.resources | nindent 2 }}"
        "{{- with .Values.secrets }}{{ if .name }}{{ .name }}{{ end }}{{- end }}",
    )
    assert refs.reads(("nodeSelector", "any-label"))
    assert refs.reads(("resources", "requests", "cpu"))
    assert refs.reads(("secrets", "name")) and not refs.reads(("secrets", "other"))


def test_variables_and_ranges(tmp_path: Path) -> None:
    refs = read(
        tmp_path,
        '{{- $cache := default dict .Values.modelCache }}{{ get $cache "enabled" }}'
        "{{- $sel := .Values.nodeSelector }}{{- with $sel }}{{ toYaml . }}{{ end }}"
        "{{- range .Values.balloons }}{{ .acceleratorName }}{{ end }}"
        '{{- range $d := .Values.devices }}{{ $x := index $d "name" }}{{ end }}'
        "{{- with .Values.config.launch }}{{- range $k, $v := . }}{{ $v | quote }}{{ end }}"
        "{{- end }}"
        '{{- range $t := tuple "a" "b" }}{{ .Values.inside }}{{ .relative }}{{ end }}',
    )
    assert refs.reads(("modelCache", "enabled")) and not refs.reads(("modelCache", "other"))
    assert refs.reads(("nodeSelector", "x"))
    assert refs.reads(("balloons", LIST_ITEM, "acceleratorName"))
    assert not refs.reads(("balloons", LIST_ITEM, "gpuCount"))
    assert refs.reads(("devices", LIST_ITEM, "name"))
    assert refs.reads(("config", "launch", "any_key"))
    assert ("config", "launch", ANY_KEY) in refs.exact
    assert refs.reads(("inside",))
    assert not refs.top_level() & {"relative", "t"}


def test_defines_and_comments(tmp_path: Path) -> None:
    refs = read(
        tmp_path,
        '{{- define "x" }}{{ .Values.fromDefine }}{{- end }}'
        "{{/* .Values.inComment */}}{{- /* .Values.alsoComment */}}"
        '{{ include "x" . }}',
    )
    assert refs.reads(("fromDefine",))
    assert not refs.touches(("inComment",)) and not refs.touches(("alsoComment",))
