package stagegate.policies.ambiguous_project_test

import data.stagegate.policies.ambiguous_project

workspace(candidates) := {
	"pipelines": [{"stages": [{"actions": [{
		"name": "SCA",
		"stage": "Build",
		"project_name": "platform-sca",
		"project_candidates": candidates,
		"source": {"file": "p.yaml", "path": "/a"},
	}]}]}],
	"projects": {
		"p.yaml:A": {"source": {"file": "p.yaml", "path": "/Resources/A"}},
		"ci/codebuild.json:platform-sca": {"source": {"file": "ci/codebuild.json", "path": ""}},
	},
}

test_several_definitions_are_an_error_naming_each if {
	denied := ambiguous_project.deny with input as workspace(["p.yaml:A", "ci/codebuild.json:platform-sca"])
	count(denied) == 1
	some f in denied
	count(f.at) == 3
}

test_one_definition_passes if {
	count(ambiguous_project.deny) == 0 with input as workspace([])
}
