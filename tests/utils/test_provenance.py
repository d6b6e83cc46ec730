"""What ``status`` says changed between a step's record and the current settings."""

from __future__ import annotations

from vqvae_lib.utils.provenance import describe_changes


def parts(**config):
    return {"config": config, "notebook": "n1", "upstream": {"pretrain": "p1"}}


def test_changed_values_are_named_with_old_and_new():
    said = describe_changes(parts(tag={"lr": 0.0002}), parts(tag={"lr": 0.05}))
    assert said == ["params tag.lr: 0.0002 -> 0.05"]


def test_a_renamed_key_with_its_value_kept_is_called_a_rename():
    old = parts(tag={"tagger": {"classifier": "cnn", "cnn_filters": 8, "gru_hidden": 64}})
    new = parts(tag={"tagger": {"classifier": "cnn", "filters": 8}})
    said = describe_changes(old, new)
    assert said[0] == ("settings renamed by the kit, same values: "
                       "tag.tagger.cnn_filters -> filters")
    assert said[1:] == ["params tag.tagger.gru_hidden: 64 -> '<unset>'"]


def test_a_renamed_key_with_another_value_is_a_change():
    old = parts(tag={"tagger": {"cnn_filters": 8}})
    new = parts(tag={"tagger": {"filters": 16}})
    said = describe_changes(old, new)
    assert not any("renamed" in s for s in said)
    assert "params tag.tagger.filters: '<unset>' -> 16" in said


def test_notebook_and_upstream_changes():
    old, new = parts(), parts()
    new["notebook"], new["upstream"] = "n2", {"pretrain": "p2"}
    assert describe_changes(old, new) == ["notebook changed", "upstream step 'pretrain' changed"]
