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
	some pipeline in input.pipelines
	some stage in pipeline.stages
	some action in stage.actions
	action.locked
	action.provider == "CodeBuild"
	some key, value in action.configuration
	lower(key) == "buildspecoverride"
	is_set(value)
	finding := {
		"message": sprintf(
			"locked action %s sets %s, so the buildspec of its project is replaced when the pipeline runs",
			[lib.action_label(action), key],
		),
		"at": [
			{
				"source": action.source,
				"below": [configuration_key(pipeline), key],
				"label": "buildspec replaced here",
			},
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
	some override in batch_overrides
	override[0] == project.buildspec.document
	spec := input.buildspecs[override[0]]
	finding := {
		"message": sprintf(
			"locked action %s runs project %s whose inline buildspec has batch %s naming its own buildspec, so that task runs commands the platform does not own",
			[lib.action_label(action), project_name(project), override[2]],
		),
		"at": [
			{"source": spec.source, "below": override[1], "label": "batch task replaces the buildspec"},
			{"source": action.source, "label": "locked action"},
		],
	}
}

# [buildspec key, path below the buildspec root, task description] of every batch task
# that names its own buildspec.
batch_overrides contains [key, ["batch", kind, i, "buildspec"], task] if {
	some key, spec in input.buildspecs
	is_object(spec.content)
	batch := spec.content.batch
	is_object(batch)
	some kind in ["build-list", "build-graph"]
	tasks := batch[kind]
	is_array(tasks)
	some i, item in tasks
	is_object(item)
	is_set(object.get(item, "buildspec", null))
	task := sprintf("%s task %s", [kind, task_name(item, i)])
}

batch_overrides contains [key, ["batch", "build-matrix", part, "buildspec"], task] if {
	some key, spec in input.buildspecs
	is_object(spec.content)
	batch := spec.content.batch
	is_object(batch)
	matrix := batch["build-matrix"]
	is_object(matrix)
	some part in ["static", "dynamic"]
	entry := matrix[part]
	is_object(entry)
	is_set(object.get(entry, "buildspec", null))
	task := sprintf("build-matrix %s", [part])
}

task_name(item, i) := item.identifier if {
	is_string(item.identifier)
} else := sprintf("%d", [i])

is_set(value) if {
	is_string(value)
	trim_space(value) != ""
}

is_set(value) if {
	not is_string(value)
	value != null
}

configuration_key(pipeline) := "configuration" if pipeline.format == "api"

else := "Configuration"

project_name(project) := project.name if project.name != null

else := project.logical_id if project.logical_id != null

else := project.key
