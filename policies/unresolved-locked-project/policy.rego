# METADATA
# title: Locked action runs a CodeBuild project that is not among the checked files
# description: |
#   A locked action (every SCA gate by default) must run a buildspec the platform owns, and
#   stagegate checks that in the action's CodeBuild project. When the project named by the
#   action is not among the checked files (a project created elsewhere, imported from
#   another stack, or named by an expression that cannot be resolved), its buildspec
#   cannot be verified, and the check fails closed: the action is no gate, and this is an
#   error. A project the platform declares in governance data (`gates.projects`) needs no
#   definition among the checked files.
# related_resources:
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeBuild.html
#   - https://docs.aws.amazon.com/cli/latest/reference/codebuild/batch-get-projects.html
#   - https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-codebuild-project.html
# custom:
#   id: unresolved-locked-project
#   severity: error
#   waivable: false
#   remediation: |
#     Check the project together with the pipeline: add the template that declares it, or
#     the output of `aws codebuild batch-get-projects --names <project>` saved as a JSON
#     file, to the checked files.
#
#     Before:
#       stagegate check pipeline.yaml
#       # pipeline.yaml: ProjectName: !ImportValue platform-sca-project
#     After:
#       aws codebuild batch-get-projects --names platform-sca > projects.json
#       stagegate check pipeline.yaml projects.json
package stagegate.policies.unresolved_locked_project

import data.stagegate.lib

deny contains finding if {
	some action in lib.actions
	action.locked
	action.provider == "CodeBuild"
	action.project == null
	count(action.project_candidates) == 0
	not lib.is_gate(action)
	finding := {
		"message": sprintf(
			"locked action %s runs CodeBuild project %s, which %s, so its buildspec cannot be verified; add the project's template or `aws codebuild batch-get-projects` output to the checked files, or declare the project in governance data",
			[lib.action_label(action), project_name(action), object.get(action, "project_unresolved", "is not among the checked files")],
		),
		"at": [{"source": action.source, "label": "project cannot be verified"}],
	}
}

project_name(action) := action.project_name if {
	is_string(action.project_name)
	action.project_name != ""
} else := "(no ProjectName in the configuration)"
