# METADATA
# title: Locked action's buildspec is replaced at run time
# description: |
#   A locked action (every SCA gate by default) must run the inline buildspec of its
#   CodeBuild project, which only the platform can change. Two settings swap it for
#   another one when the build runs: a BuildspecOverride in the pipeline action's
#   configuration, and batch build tasks of the locked buildspec (build-list, build-graph,
#   build-matrix) that name their own buildspec file. Either way the commands that run come
#   from somewhere the platform does not own, usually the application repository, and the
#   scan can be changed or skipped by whoever can push there.
# related_resources:
#   - https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeBuild.html
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/batch-build-buildspec.html
#   - https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html
# custom:
#   id: locked-buildspec-override
#   severity: error
#   waivable: false
#   remediation: |
#     Remove the buildspec override from the locked action, and let batch tasks of a
#     locked buildspec run that same buildspec (vary them with env only).
#
#     Before:
#       - Name: SCA
#         Configuration:
#           ProjectName: !Ref ScaProject
#           BuildspecOverride: buildspec-sca.yml
#       # or, in the locked project's inline buildspec:
#       batch:
#         build-list:
#           - identifier: scan
#             buildspec: ci/scan.yml
#     After:
#       - Name: SCA
#         Configuration:
#           ProjectName: !Ref ScaProject
#       # and:
#       batch:
#         build-list:
#           - identifier: scan
#             env:
#               variables:
#                 SCAN_TARGET: app
package stagegate.policies.locked_buildspec_override

import data.stagegate.lib

# The pipeline action replaces the buildspec of its project.
deny contains finding if {
	some action in lib.actions
	action.locked
	action.provider == "CodeBuild"
	override := action.buildspec_override
	override != null
	finding := {
		"message": sprintf(
			"locked action %s sets %s, so the buildspec of its project is replaced when the pipeline runs",
			[lib.action_label(action), override.reason],
		),
		"at": [
			{"source": override.source, "label": "buildspec replaced here"},
			{"source": action.source, "label": "locked action"},
		],
	}
}

# A batch task of the locked project's inline buildspec runs its own buildspec.
deny contains finding if {
	some action in lib.actions
	action.locked
	project := lib.project_of(action)
	project.buildspec.kind == "inline"
	some task in input.buildspecs[project.buildspec.document].batch_buildspecs
	finding := {
		"message": sprintf(
			"locked action %s runs project %s whose inline buildspec has batch %s naming its own buildspec, so that task runs commands the platform does not own",
			[lib.action_label(action), lib.project_label(project), task.reason],
		),
		"at": [
			{"source": task.source, "label": "batch task replaces the buildspec"},
			{"source": action.source, "label": "locked action"},
		],
	}
}
