package stagegate.policies.locked_buildspec_override_test

import data.stagegate.lib
import data.stagegate.policies.locked_buildspec_override

action(locked, configuration) := {
	"name": "SCA",
	"stage": "Build",
	"provider": "CodeBuild",
	"locked": locked,
	"project": "p",
	"configuration": configuration,
	"source": {"file": "t.yaml", "path": "/a"},
}

workspace(format, act, content) := {
	"pipelines": [{"name": "app", "format": format, "stages": [{"actions": [act]}]}],
	"projects": {"p": {
		"key": "p",
		"name": "platform-sca",
		"logical_id": null,
		"buildspec": {"kind": "inline", "document": "t.yaml/b", "source": {"file": "t.yaml", "path": "/b"}},
	}},
	"buildspecs": {"t.yaml/b": {"content": content, "source": {"file": "t.yaml", "path": "/b#"}}},
}

plain := {"version": 0.2, "phases": {"build": {"commands": ["trivy fs ."]}}}

test_no_override_passes if {
	count(locked_buildspec_override.deny) == 0 with input as workspace("cloudformation", action(true, {"ProjectName": "x"}), plain)
}

test_configuration_override_is_denied_at_the_entry if {
	ws := workspace("cloudformation", action(true, {"ProjectName": "x", "BuildspecOverride": "sca.yml"}), plain)
	some f in locked_buildspec_override.deny with input as ws
	lib.target(f.at[0]).path == "/a/Configuration/BuildspecOverride"
}

test_api_override_is_located_under_lower_case_configuration if {
	ws := workspace("api", action(true, {"ProjectName": "x", "BuildspecOverride": "sca.yml"}), plain)
	some f in locked_buildspec_override.deny with input as ws
	lib.target(f.at[0]).path == "/a/configuration/BuildspecOverride"
}

test_empty_override_and_unlocked_actions_pass if {
	count(locked_buildspec_override.deny) == 0 with input as workspace("cloudformation", action(true, {"BuildspecOverride": " "}), plain)
	count(locked_buildspec_override.deny) == 0 with input as workspace("cloudformation", action(false, {"BuildspecOverride": "x.yml"}), plain)
}

test_batch_tasks_with_their_own_buildspec_are_denied if {
	content := {"version": 0.2, "batch": {
		"build-list": [{"identifier": "a"}, {"identifier": "b", "buildspec": "b.yml"}],
		"build-graph": [{"identifier": "c", "buildspec": "c.yml"}],
		"build-matrix": {"static": {"ignore-failure": false}, "dynamic": {"buildspec": ["m1.yml", "m2.yml"]}},
	}}
	denied := locked_buildspec_override.deny with input as workspace("cloudformation", action(true, {}), content)
	paths := {lib.target(f.at[0]).path | some f in denied}
	paths == {
		"/b#/batch/build-list/1/buildspec",
		"/b#/batch/build-graph/0/buildspec",
		"/b#/batch/build-matrix/dynamic/buildspec",
	}
}

test_batch_without_own_buildspec_passes if {
	content := {"version": 0.2, "batch": {"build-list": [{"identifier": "a", "env": {"variables": {"X": "1"}}}]}}
	count(locked_buildspec_override.deny) == 0 with input as workspace("cloudformation", action(true, {}), content)
}

test_batch_of_an_unlocked_action_passes if {
	content := {"version": 0.2, "batch": {"build-list": [{"identifier": "b", "buildspec": "b.yml"}]}}
	count(locked_buildspec_override.deny) == 0 with input as workspace("cloudformation", action(false, {}), content)
}
