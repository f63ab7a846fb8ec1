package stagegate.policies.unresolved_locked_project_test

import data.stagegate.lib
import data.stagegate.policies.unresolved_locked_project

workspace(locked, provider, project, project_name) := {"pipelines": [{"name": "app", "stages": [{"actions": [{
	"name": "SCA",
	"stage": "Build",
	"provider": provider,
	"locked": locked,
	"project": project,
	"project_name": project_name,
	"project_candidates": [],
	"roles": [],
	"source": {"file": "p.yaml", "path": "/a"},
}]}]}]}

test_missing_project_is_reported_with_its_name if {
	denied := unresolved_locked_project.deny with input as workspace(true, "CodeBuild", null, "platform-sca")
	count(denied) == 1
	some f in denied
	contains(f.message, "platform-sca")
	contains(f.message, "batch-get-projects")
	lib.target(f.at[0]).path == "/a"
}

test_expression_names_are_shown_as_written if {
	some f in unresolved_locked_project.deny with input as workspace(true, "CodeBuild", null, "{\"Fn::ImportValue\":\"sca\"}")
	contains(f.message, "Fn::ImportValue")
}

test_governance_verified_gate_passes if {
	ws := workspace(true, "CodeBuild", null, "platform-sca")
	action := object.union(ws.pipelines[0].stages[0].actions[0], {"roles": ["sca"]})
	count(unresolved_locked_project.deny) == 0 with input as {"pipelines": [{"name": "app", "stages": [{"actions": [action]}]}]}
}

test_missing_project_name_is_still_reported if {
	count(unresolved_locked_project.deny) == 1 with input as workspace(true, "CodeBuild", null, null)
}

test_resolved_project_passes if {
	count(unresolved_locked_project.deny) == 0 with input as workspace(true, "CodeBuild", "p.yaml:Sca", "platform-sca")
}

test_unlocked_or_other_providers_pass if {
	count(unresolved_locked_project.deny) == 0 with input as workspace(false, "CodeBuild", null, "app-build")
	count(unresolved_locked_project.deny) == 0 with input as workspace(true, "Jenkins", null, "sca")
}
