package stagegate.policies.codebuild_privileged_mode_test

import data.stagegate.lib
import data.stagegate.policies.codebuild_privileged_mode

cfn_project(name, privileged) := {
	"key": "t.yaml:ImageBuild",
	"name": name,
	"logical_id": "ImageBuild",
	"environment": {"privileged_mode": privileged, "image": "aws/codebuild/standard:7.0", "variables": []},
	"source": {"file": "t.yaml", "path": "/Resources/ImageBuild"},
}

api_project(name, privileged) := {
	"key": sprintf("projects.json:%s", [name]),
	"name": name,
	"logical_id": null,
	"environment": {"privileged_mode": privileged, "image": "aws/codebuild/standard:7.0", "variables": []},
	"source": {"file": "projects.json", "path": "/projects/0"},
}

test_privileged_cloudformation_project_is_denied_at_the_entry if {
	findings := codebuild_privileged_mode.deny with input as {"projects": {"p": cfn_project("app-build", true)}}
	count(findings) == 1
	some finding in findings
	lib.target(finding.at[0]) == {"file": "t.yaml", "path": "/Resources/ImageBuild/Properties/Environment/PrivilegedMode"}
	contains(finding.message, "app-build")
}

test_privileged_api_project_is_denied_at_the_entry if {
	some finding in codebuild_privileged_mode.deny with input as {"projects": {"p": api_project("app-build", true)}}
	lib.target(finding.at[0]) == {"file": "projects.json", "path": "/projects/0/environment/privilegedMode"}
}

test_unprivileged_projects_pass if {
	count(codebuild_privileged_mode.deny) == 0 with input as {"projects": {
		"a": cfn_project("app-build", false),
		"b": api_project("app-test", false),
	}}
}

test_allowed_projects_are_exempt if {
	count(codebuild_privileged_mode.deny) == 0 with input as {"projects": {"p": api_project("platform-image-build", true)}}
		with data.stagegate.params as {"codebuild-privileged-mode": {"allowed_projects": ["platform-image-build"]}}
	count(codebuild_privileged_mode.deny) == 0 with input as {"projects": {"p": cfn_project(null, true)}}
		with data.stagegate.params as {"codebuild-privileged-mode": {"allowed_projects": ["ImageBuild"]}}
	count(codebuild_privileged_mode.deny) == 1 with input as {"projects": {"p": api_project("app-build", true)}}
		with data.stagegate.params as {"codebuild-privileged-mode": {"allowed_projects": ["platform-image-build"]}}
}
