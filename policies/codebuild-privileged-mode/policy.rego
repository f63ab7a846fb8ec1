# METADATA
# title: CodeBuild project runs in privileged mode
# description: |
#   Privileged mode gives the build container root access to the host's Docker daemon and
#   devices. Any command in the buildspec (a developer-owned file for most projects), any
#   dependency it installs and any image it runs can then escape the build isolation,
#   tamper with other layers and read the project's credentials. It is only needed to build
#   Docker images with the Docker daemon; keep it to the projects that do, and list those in
#   the governance parameter `allowed_projects` (project names or CloudFormation logical
#   ids).
# related_resources:
#   - https://docs.aws.amazon.com/codebuild/latest/APIReference/API_ProjectEnvironment.html
#   - https://docs.aws.amazon.com/config/latest/developerguide/codebuild-project-environment-privileged-check.html
#   - https://docs.aws.amazon.com/securityhub/latest/userguide/codebuild-controls.html
# custom:
#   id: codebuild-privileged-mode
#   severity: warning
#   remediation: |
#     Turn privileged mode off. Build images without a Docker daemon (kaniko, buildah,
#     `docker buildx` on a remote builder) or move image builds to a dedicated project the
#     platform owns and allows by name.
#
#     Before:
#       Environment:
#         Type: LINUX_CONTAINER
#         Image: aws/codebuild/standard:7.0
#         PrivilegedMode: true
#     After:
#       Environment:
#         Type: LINUX_CONTAINER
#         Image: aws/codebuild/standard:7.0
#         PrivilegedMode: false
package stagegate.policies.codebuild_privileged_mode

import data.stagegate.lib

allowed_projects := lib.param("codebuild-privileged-mode", "allowed_projects", [])

deny contains finding if {
	some project in input.projects
	project.environment.privileged_mode == true
	not allowed(project)
	finding := {
		"message": sprintf(
			"CodeBuild project %s runs in privileged mode (root access to the host's Docker daemon); turn it off or allow the project by name",
			[project_name(project)],
		),
		"at": [{"source": project.source, "below": privileged_entry(project), "label": "privileged mode"}],
	}
}

allowed(project) if {
	is_string(project.name)
	project.name in allowed_projects
}

allowed(project) if {
	is_string(project.logical_id)
	project.logical_id in allowed_projects
}

# CloudFormation: the resource is the project's source, the entry is under Properties.
privileged_entry(project) := ["Properties", "Environment", "PrivilegedMode"] if {
	is_string(project.logical_id)
} else := ["environment", "privilegedMode"]

project_name(project) := project.name if is_string(project.name)

else := project.logical_id if is_string(project.logical_id)

else := project.key
