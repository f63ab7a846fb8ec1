# METADATA
# title: A CodeBuild action's project name names several projects
# description: |
#   A pipeline action runs a CodeBuild project by name. When several definitions among the
#   checked files carry that name (two resources, one of them under a Condition; a
#   template and a stray `create-project` JSON; two entries of one `projects` list), which
#   one runs is decided when the pipeline is deployed, not by the checked files. stagegate
#   does not pick one: the action links to no project and this is an error, naming every
#   definition.
# related_resources:
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeBuild.html
# custom:
#   id: ambiguous-project
#   severity: error
#   waivable: false
#   remediation: |
#     Keep one definition of each project name among the checked files: delete or rename
#     the others, or reference the project resource itself.
#
#     Before:
#       ProjectName: platform-sca   # two resources carry Name: platform-sca
#     After:
#       ProjectName: !Ref ScaProject
package stagegate.policies.ambiguous_project

import data.stagegate.lib

deny contains finding if {
	some action in lib.actions
	count(action.project_candidates) > 1
	finding := {
		"message": sprintf(
			"action %s runs project %s, which %d definitions among the checked files carry, so which one runs cannot be verified",
			[lib.action_label(action), action.project_name, count(action.project_candidates)],
		),
		"at": array.concat(
			[{"source": action.source, "label": "names several projects"}],
			[{"source": input.projects[key].source, "label": "a definition of that project"} |
				some key in action.project_candidates
			],
		),
	}
}
