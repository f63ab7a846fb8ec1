//! Terraform: the same model and policies as CloudFormation, findings at `.tf` lines, and
//! what is not evaluated failing closed.

use crate::expect::repo_root;
use stagegate::{Linter, Report};

fn linter() -> Linter {
    Linter::builder().builtin_policies().build().unwrap()
}

fn check(files: &[(&str, &str)]) -> Report {
    linter().check_sources(files.iter().map(|(n, t)| (n.to_string(), t.to_string())))
}

fn findings(r: &Report) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = r
        .active()
        .map(|v| (v.policy.clone(), v.message.clone()))
        .collect();
    out.sort();
    out
}

/// The CloudFormation seed and its Terraform twin, compliant and violating, report the
/// same findings with the same words; the Terraform ones point into `.tf` files.
#[test]
fn terraform_twins_find_what_their_cloudformation_twins_find() {
    for (cfn, tf) in [
        ("seed", "terraform-seed"),
        ("seed-violating", "terraform-seed-violating"),
    ] {
        let a = linter().check_paths(&[repo_root().join("fixtures/e2e").join(cfn)]);
        let b = linter().check_paths(&[repo_root().join("fixtures/e2e").join(tf)]);
        assert!(
            a.errors.is_empty() && b.errors.is_empty(),
            "{:#?}",
            b.errors
        );
        assert_eq!(findings(&a), findings(&b), "{cfn} vs {tf}");
        assert_eq!(a.summary.pipelines, b.summary.pipelines);
        assert!(b.active().all(|v| v.location.path.ends_with(".tf")));
    }
    let (ws, _) = linter().model_paths(&[repo_root().join("fixtures/e2e/terraform-seed")]);
    assert_eq!(ws.pipelines.len(), 1);
    assert_eq!(ws.pipelines[0].format, "terraform");
    assert_eq!(ws.pipelines[0].name, "app-pipeline");
    assert!(ws.unresolved.is_empty(), "{:#?}", ws.unresolved);
    // `EnvironmentVariables = jsonencode([...])` decodes into the action's variables
    let build = &ws.pipelines[0].stages[1].actions[1];
    assert_eq!(build.name, "BuildAndTest");
    let names: Vec<&str> = build.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["COMMIT_ID"]);
}

const PROJECT: &str = r#"
resource "aws_codebuild_project" "build" {
  name = "app-build"
  source {
    type      = "CODEPIPELINE"
    buildspec = "buildspec.yml"
  }
}
"#;

fn pipeline(run_order: &str, extra: &str) -> String {
    format!(
        r#"{extra}
resource "aws_codepipeline" "p" {{
  name = "p"
  stage {{
    name = "Build"
    action {{
      name      = "Build"
      category  = "Build"
      owner     = "AWS"
      provider  = "CodeBuild"
      version   = "1"
      run_order = {run_order}
      configuration = {{
        ProjectName = aws_codebuild_project.build.name
      }}
    }}
  }}
}}
"#
    )
}

fn unverifiable(r: &Report) -> Vec<String> {
    r.active()
        .filter(|v| v.policy == "unverifiable-pipeline-value")
        .map(|v| v.message.clone())
        .collect()
}

/// A decisive value that only a variable default, no value at all, or an expression
/// stagegate does not evaluate supplies cannot be verified; a literal or a local can.
#[test]
fn decisive_values_that_are_not_known_fail_closed() {
    let cases = [
        ("1", "", None),
        ("local.order", "locals {\n  order = 1\n}", None),
        ("var.order", "variable \"order\" {}", Some("has no value")),
        (
            "var.order",
            "variable \"order\" {\n  default = 1\n}",
            Some("only a parameter default supplies it"),
        ),
        (
            "length(var.list)",
            "variable \"list\" {}",
            Some("does not evaluate"),
        ),
        ("local.a", "locals {\n  a = local.a\n}", Some("a cycle")),
    ];
    for (order, extra, want) in cases {
        let text = pipeline(order, extra);
        let r = check(&[("ci/main.tf", &text), ("ci/build.tf", PROJECT)]);
        let found = unverifiable(&r);
        match want {
            None => assert!(found.is_empty(), "{order}: {found:#?}"),
            Some(words) => assert!(
                found
                    .iter()
                    .any(|m| m.contains("run order") && m.contains(words)),
                "{order}: {found:#?}"
            ),
        }
    }
}

/// `terraform.tfvars` and `*.auto.tfvars` give variables their values, later files
/// winning. Like a CloudFormation parameter default, such a value may be replaced when
/// applied (`-var`): it links a project by name, and a name it builds reads as written.
#[test]
fn tfvars_values_link_projects_and_names_read_as_written() {
    let text = r#"
variable "project" {}
variable "team" {
  default = "core"
}
resource "aws_codepipeline" "p" {
  name = "app-${var.team}"
  stage {
    name = "Build"
    action {
      name     = "Build"
      category = "Build"
      owner    = "AWS"
      provider = "CodeBuild"
      version  = "1"
      configuration = {
        ProjectName = var.project
      }
    }
  }
}
"#;
    let project = "resource \"aws_codebuild_project\" \"b\" {\n  name = \"payments-build\"\n  source {\n    type = \"CODEPIPELINE\"\n  }\n}\n";
    let (ws, _) = linter().model_sources([
        ("m/main.tf", text),
        ("m/build.tf", project),
        ("m/terraform.tfvars", "project = \"other-build\"\n"),
        ("m/x.auto.tfvars", "project = \"payments-build\"\n"),
    ]);
    let action = &ws.pipelines[0].stages[0].actions[0];
    let key = action.project.as_deref().expect("linked");
    assert_eq!(ws.projects[key].name.as_deref(), Some("payments-build"));
    assert_eq!(ws.pipelines[0].name, "\"app-${var.team}\"");
    // without a value the project cannot be linked
    let (ws, _) = linter().model_sources([("m/main.tf", text), ("m/build.tf", project)]);
    assert!(ws.pipelines[0].stages[0].actions[0].project.is_none());
}

/// A Terraform syntax error is a located problem (exit 2) and the other files are still
/// checked; a `.tf` file that declares no pipeline or project is skipped when walked.
#[test]
fn unreadable_terraform_is_an_error_and_the_rest_is_checked() {
    let text = pipeline("1", "");
    let r = check(&[
        ("m/main.tf", &text),
        ("m/build.tf", PROJECT),
        (
            "m/broken.tf",
            "resource \"aws_codepipeline\" \"x\" {\n  name = \n",
        ),
    ]);
    assert_eq!(r.errors.len(), 1, "{:#?}", r.errors);
    let at = r.errors[0].location.as_ref().unwrap();
    assert_eq!(at.path, "m/broken.tf");
    assert!(r.errors[0].message.contains("invalid HCL"));
    assert_eq!(r.summary.pipelines, 1);
    assert!(r.active().any(|v| v.policy == "build-without-sca"));
}

/// A buildspec the module reads with `file()` is the project's own (inline, platform-owned)
/// and one buildspec, not also a developer's; without the file the project's buildspec
/// cannot be verified.
#[test]
fn a_buildspec_read_with_file_is_the_projects_own() {
    let dir = repo_root().join("fixtures/e2e/terraform-file-buildspec");
    let (ws, _) = linter().model_paths(&[&dir]);
    let sca = ws
        .projects
        .values()
        .find(|p| p.name.as_deref() == Some("platform-sca"))
        .unwrap();
    assert_eq!(sca.buildspec.kind, "inline");
    let key = sca.buildspec.document.as_deref().unwrap();
    assert!(key.ends_with("platform/sca-buildspec.yml"), "{key}");
    assert_eq!(ws.buildspecs[key].owner, "platform");
    let developer: Vec<&str> = ws
        .buildspecs
        .values()
        .filter(|b| b.owner == "developer")
        .map(|b| b.key.as_str())
        .collect();
    assert_eq!(developer.len(), 1, "{developer:?}");
    assert!(developer[0].ends_with("/buildspec.yaml"));
    let only_tf: Vec<_> = ["codebuild.tf", "pipeline.tf", "variables.tf"]
        .iter()
        .map(|f| dir.join(f))
        .collect();
    let r = linter().check_paths(&only_tf);
    assert!(
        r.active().any(|v| v.policy == "unverifiable-pipeline-value"
            && v.message.contains("not among the checked files")),
        "{:#?}",
        r.violations
    );
}

/// A local module's variables take the literal arguments of its call and its outputs are
/// read back by the caller; the call's run order decides the finding, at the module's line.
/// Without the module's folder, what it would give is not known, and fails closed.
#[test]
fn local_modules_pass_arguments_down_and_outputs_up() {
    let dir = repo_root().join("fixtures/e2e/terraform-module");
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
    let files = |order: &str, with_sca: bool| {
        let mut f = vec![
            (
                "m/main.tf".to_string(),
                read("main.tf").replace("sca_run_order = 3", order),
            ),
            ("m/buildspec.yaml".to_string(), read("buildspec.yaml")),
            (
                "m/modules/pipeline/main.tf".to_string(),
                read("modules/pipeline/main.tf"),
            ),
        ];
        if with_sca {
            f.push((
                "m/modules/sca/main.tf".to_string(),
                read("modules/sca/main.tf"),
            ));
        }
        f
    };
    let r = linter().check_sources(files("sca_run_order = 1", true));
    assert!(r.active().next().is_none(), "{:#?}", r.violations);
    assert_eq!(r.summary.pipelines, 1);
    let r = linter().check_sources(files("sca_run_order = 3", true));
    let found: Vec<_> = r
        .active()
        .map(|v| (v.policy.as_str(), v.location.path.as_str(), v.location.line))
        .collect();
    assert_eq!(
        found,
        [("build-without-sca", "m/modules/pipeline/main.tf", 40)]
    );
    // the module's own default is an assumption, as a parameter default is
    let r = linter().check_sources(files("", true));
    assert!(
        unverifiable(&r).iter().any(|m| m.contains("run order")),
        "{:#?}",
        r.violations
    );
    let r = linter().check_sources(files("sca_run_order = 1", false));
    assert!(
        r.active().any(|v| v.severity == stagegate::Severity::Error
            && v.message.contains("module.sca.project_name")
            && v.message.contains("not among the checked folders")),
        "{:#?}",
        r.violations
    );
}

/// What Terraform would apply that stagegate does not read is never a silent pass: an
/// override file or JSON configuration is an error, a variables file read only with
/// `-var-file` makes the values it sets unknown, and JSON variables files are read.
#[test]
fn what_terraform_applies_beyond_what_is_read_fails_closed() {
    let main = pipeline("1", "variable \"project\" {\n  default = \"app-build\"\n}");
    let main = main.replace("aws_codebuild_project.build.name", "var.project");
    let with = |extra: (&str, &str)| {
        linter().check_sources([
            ("m/main.tf".to_string(), main.clone()),
            ("m/build.tf".to_string(), PROJECT.to_string()),
            (extra.0.to_string(), extra.1.to_string()),
        ])
    };
    let linked = |extra: (&str, &str)| {
        let (ws, _) = linter().model_sources([
            ("m/main.tf".to_string(), main.clone()),
            ("m/build.tf".to_string(), PROJECT.to_string()),
            (extra.0.to_string(), extra.1.to_string()),
        ]);
        ws.pipelines[0].stages[0].actions[0].project.clone()
    };
    // the default links the project
    assert!(linked(("m/notes.txt", "x")).is_some());
    for (file, text, says) in [
        (
            "m/main_override.tf",
            "resource \"aws_codepipeline\" \"p\" {\n  name = \"q\"\n}\n",
            "override file",
        ),
        ("m/extra.tf.json", "{\"resource\": {}}", "`*.tf.json`"),
    ] {
        let r = with((file, text));
        assert_eq!(r.errors.len(), 1, "{file}: {:#?}", r.errors);
        assert!(
            r.errors[0].message.contains(says),
            "{}",
            r.errors[0].message
        );
    }
    // an auto-loaded JSON variables file replaces the default; a file only `-var-file`
    // reads may set it to anything
    assert!(linked(("m/x.auto.tfvars.json", "{\"project\": \"other-build\"}")).is_none());
    assert!(linked(("m/x.auto.tfvars.json", "{\"project\": \"app-build\"}")).is_some());
    assert!(linked(("m/prod.tfvars", "project = \"app-build\"\n")).is_none());
    let r = with(("m/x.auto.tfvars.json", "[1]"));
    assert_eq!(r.errors.len(), 1, "{:#?}", r.errors);
}

/// A plan (`terraform show -json`) gives the same model, findings pointing into the plan;
/// a value the plan knows only once applied (`after_unknown`) fails closed.
#[test]
fn a_plan_reads_as_its_configuration_and_unknowns_fail_closed() {
    let dir = repo_root().join("fixtures/e2e/terraform-plan");
    let a = linter().check_paths(&[repo_root().join("fixtures/e2e/seed-violating")]);
    let b = linter().check_paths(&[&dir]);
    assert!(b.errors.is_empty(), "{:#?}", b.errors);
    assert_eq!(findings(&a), findings(&b));
    let text = std::fs::read_to_string(dir.join("plan.json")).unwrap();
    let mut plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sca = &mut plan["planned_values"]["root_module"]["resources"][2]["values"]["stage"][1]
        ["action"][0];
    assert_eq!(sca["name"], "SCA");
    sca["configuration"]
        .as_object_mut()
        .unwrap()
        .remove("ProjectName");
    plan["resource_changes"][0]["change"]["after_unknown"]["stage"] = serde_json::json!([
        {},
        {"action": [{"configuration": {"ProjectName": true}}]}
    ]);
    let r = linter().check_sources([("plan.json", plan.to_string())]);
    assert!(
        r.active().any(|v| v.severity == stagegate::Severity::Error
            && v.message
                .contains("aws_codepipeline.app.configuration.ProjectName")),
        "{:#?}",
        r.violations
    );
    // a stage condition of the plan is read: SKIP makes its stage skippable
    let stage = &mut plan["planned_values"]["root_module"]["resources"][2]["values"]["stage"][1];
    stage["before_entry"] = serde_json::json!([{"condition": [{"result": "SKIP", "rule": []}]}]);
    let (ws, _) = linter().model_sources([("plan.json", plan.to_string())]);
    assert!(ws.pipelines[0].stages[1].skippable);
}

/// Stage conditions are read: a `SKIP` entry condition makes a gate's stage skippable, and
/// one written as a `dynamic` block is unknown, so the stage counts as skippable and the
/// condition as unverifiable.
#[test]
fn stage_conditions_are_read_and_dynamic_ones_fail_closed() {
    let fixture =
        repo_root().join("policies/skippable-gate-stage/fixtures/violating/terraform/main.tf");
    let text = std::fs::read_to_string(fixture).unwrap();
    let r = check(&[("main.tf", &text)]);
    assert!(r
        .active()
        .any(|v| v.policy == "skippable-gate-stage" && v.location.line == 52));
    let start = text.find("    before_entry {").unwrap();
    let end = text
        .find("    action {\n      name            = \"SnykTest\"")
        .unwrap();
    let dynamic = format!(
        "{}    before_entry {{\n      dynamic \"condition\" {{\n        for_each = var.conditions\n        content {{\n          result = condition.value\n        }}\n      }}\n    }}\n{}",
        &text[..start],
        &text[end..]
    );
    let r = check(&[("main.tf", &dynamic)]);
    assert!(
        r.active().any(|v| v.policy == "skippable-gate-stage"),
        "{:#?}",
        r.violations
    );
    assert!(
        unverifiable(&r)
            .iter()
            .any(|m| m.contains("BeforeEntry result of stage Scan")),
        "{:#?}",
        r.violations
    );
}

/// Ways around the gate a review found, each now failing closed: a value interpolated into
/// the locked heredoc, a buildspec rendered by templatefile(), file() of a relative path in
/// a called module, a module call that leaves its caller's variable to a default, project
/// settings behind a dynamic block; and files Terraform does not load are not read.
#[test]
fn reviewed_bypasses_fail_closed() {
    let seed = repo_root().join("fixtures/e2e/terraform-seed");
    let read = |f: &str| std::fs::read_to_string(seed.join(f)).unwrap();
    let run = |codebuild: String, extra: &[(&str, &str)]| {
        let mut files = vec![
            ("m/pipeline.tf".to_string(), read("pipeline.tf")),
            ("m/codebuild.tf".to_string(), codebuild),
            ("m/variables.tf".to_string(), read("variables.tf")),
            ("m/buildspec.yaml".to_string(), read("buildspec.yaml")),
        ];
        files.extend(extra.iter().map(|(n, t)| (n.to_string(), t.to_string())));
        linter().check_sources(files)
    };
    let failing = |r: &Report| {
        r.active().any(|v| v.severity == stagegate::Severity::Error) || !r.errors.is_empty()
    };
    let codebuild = read("codebuild.tf");
    assert!(!failing(&run(codebuild.clone(), &[])), "the seed passes");
    // a variable interpolated into the locked heredoc could be `|| true`
    let tail = codebuild.replace("--out reports\n", "--out reports ${var.tail}\n");
    let r = run(
        tail,
        &[("m/tail.tf", "variable \"tail\" {\n  default = \"\"\n}\n")],
    );
    assert!(
        r.active().any(|v| v.policy == "locked-buildspec-weakened"),
        "{:#?}",
        r.violations
    );
    // templatefile() renders the file first
    let start = codebuild.find("    buildspec = <<-EOT").unwrap();
    let end = codebuild.find("    EOT\n").unwrap() + "    EOT\n".len();
    let with = |expr: &str| {
        format!(
            "{}    buildspec = {expr}\n{}",
            &codebuild[..start],
            &codebuild[end..]
        )
    };
    let spec = ("m/sca.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - ./dependency-check/bin/dependency-check.sh --scan . --failOnCVSS 7 ${tail}\n");
    let r = run(
        with("templatefile(\"${path.module}/sca.yml\", { tail = \"|| true\" })"),
        &[spec],
    );
    assert!(failing(&r), "{:#?}", r.violations);
    // a project's settings behind a dynamic block over an unknown collection
    let dynamic_env = codebuild.replacen(
        "  environment {",
        "  dynamic \"environment\" {\n    for_each = var.envs\n    content {}\n  }\n  environment_x {",
        1,
    );
    let r = run(dynamic_env, &[("m/envs.tf", "variable \"envs\" {}\n")]);
    assert!(
        unverifiable(&r)
            .iter()
            .any(|m| m.contains("environment of project platform-sca")),
        "{:#?}",
        r.violations
    );
    // files Terraform does not load are not read: a decoy in them links nothing
    let decoy = "resource \"aws_codebuild_project\" \"decoy\" {\n  name = \"platform-sca\"\n}\n";
    for name in ["m/.decoy.tf", "m/decoy.TF", "m/#decoy.tf"] {
        let r = run(codebuild.clone(), &[(name, decoy)]);
        assert!(
            !r.active().any(|v| v.policy == "ambiguous-project"),
            "{name}: {:#?}",
            r.violations
        );
    }
    // `Override.tf` is no override file (Terraform's names are case-sensitive)
    let r = run(codebuild.clone(), &[("m/Override.tf", "locals {}\n")]);
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
}

/// A module that two roots call, one passing a value and one leaving the default, gets no
/// single value; file() of a plain relative path in a called module reads from a root's
/// folder, which is not known.
#[test]
fn called_modules_do_not_take_one_callers_word_for_all() {
    let child = r#"
variable "order" {
  default = 3
}
resource "aws_codepipeline" "p" {
  name = "p"
  stage {
    name = "Build"
    action {
      name      = "Build"
      category  = "Build"
      owner     = "AWS"
      provider  = "CodeBuild"
      version   = "1"
      run_order = var.order
    }
  }
}
resource "aws_codebuild_project" "b" {
  name = "b"
  source {
    type      = "CODEPIPELINE"
    buildspec = file("sca.yml")
  }
}
"#;
    let (ws, _) = linter().model_sources([
        (
            "envs/dev/main.tf",
            "module \"p\" {\n  source = \"../../modules/p\"\n  order  = 1\n}\n",
        ),
        (
            "envs/prod/main.tf",
            "module \"p\" {\n  source = \"../../modules/p\"\n}\n",
        ),
        ("modules/p/main.tf", child),
        (
            "modules/p/sca.yml",
            "version: 0.2\nphases:\n  build:\n    commands: [make]\n",
        ),
    ]);
    let what: Vec<&str> = ws.unresolved.iter().map(|u| u.what.as_str()).collect();
    assert!(what.iter().any(|w| w.contains("run order")), "{what:?}");
    let b = ws
        .projects
        .values()
        .find(|p| p.name.as_deref() == Some("b"))
        .unwrap();
    assert_eq!(b.buildspec.kind, "unresolved");
}

/// A project whose name stagegate cannot evaluate may be the one a literal `ProjectName`
/// names: a compliant decoy of that name elsewhere does not settle which one runs.
#[test]
fn a_decoy_does_not_stand_in_for_a_project_of_unknown_name() {
    let seed = repo_root().join("fixtures/e2e/terraform-seed");
    let read = |f: &str| std::fs::read_to_string(seed.join(f)).unwrap();
    let pipeline = read("pipeline.tf").replace("local.sca_project", "\"platform-sca\"");
    let codebuild = read("codebuild.tf").replacen(
        "name         = \"platform-sca\"",
        "name         = replace(\"platform_sca\", \"_\", \"-\")",
        1,
    );
    let decoy_dir_files = |with_decoy: bool| {
        let mut f = vec![
            ("m/pipeline.tf".to_string(), pipeline.clone()),
            ("m/codebuild.tf".to_string(), codebuild.clone()),
            (
                "m/variables.tf".to_string(),
                read("variables.tf").replace("aws_codebuild_project.sca.name", "\"x\""),
            ),
            ("m/buildspec.yaml".to_string(), read("buildspec.yaml")),
        ];
        if with_decoy {
            f.push(("examples/decoy.tf".to_string(), read("codebuild.tf")));
        }
        f
    };
    let r = linter().check_sources(decoy_dir_files(true));
    assert!(
        r.active().any(|v| v.policy == "ambiguous-project"),
        "{:#?}",
        r.violations
    );
}

/// Hostile modules end quickly and fail closed: locals that double at every step, a long
/// chain of references, a count past the instances read, `for_each` over a scalar,
/// `path.root` in a called module, and a called module's own tfvars (Terraform reads only
/// the root's).
#[test]
fn hostile_modules_end_and_fail_closed() {
    let mut locals = String::from("locals {\n  l0 = \"x\"\n");
    for i in 1..=40 {
        locals.push_str(&format!("  l{i} = [local.l{p}, local.l{p}]\n", p = i - 1));
    }
    for i in 0..200 {
        locals.push_str(&format!("  c{i} = local.c{}\n", i + 1));
    }
    locals.push_str("  c200 = 1\n}\n");
    let text = pipeline("length(local.l40)", &locals);
    let r = check(&[("m/main.tf", &text), ("m/build.tf", PROJECT)]);
    assert!(
        unverifiable(&r).iter().any(|m| m.contains("run order")),
        "{:#?}",
        r.violations
    );
    let text = pipeline("local.c0", &locals);
    let r = check(&[("m/main.tf", &text), ("m/build.tf", PROJECT)]);
    assert!(
        unverifiable(&r)
            .iter()
            .any(|m| m.contains("too large or too deep")),
        "{:#?}",
        r.violations
    );
    // a count past the instances read, or for_each over a scalar: one unknown instance
    for meta in ["count = 65", "for_each = \"x\""] {
        let project = PROJECT.replacen(
            "name = \"app-build\"",
            &format!("{meta}\n  name = \"app-build\""),
            1,
        );
        let (ws, _) = linter().model_sources([("m/build.tf", project.as_str())]);
        assert_eq!(ws.projects.len(), 1, "{meta}");
    }
    // path.root in a called module; a tfvars file beside a called module is not read
    let child = "variable \"spec\" {\n  default = \"ci/buildspec.yml\"\n}\nresource \"aws_codebuild_project\" \"b\" {\n  name = \"b\"\n  source {\n    type      = \"CODEPIPELINE\"\n    buildspec = var.spec\n  }\n}\nresource \"aws_codebuild_project\" \"r\" {\n  name = \"r\"\n  source {\n    type      = \"CODEPIPELINE\"\n    buildspec = file(\"${path.root}/x.yml\")\n  }\n}\n";
    let (ws, _) = linter().model_sources([
        ("main.tf", "module \"c\" {\n  source = \"./c\"\n}\n"),
        ("c/main.tf", child),
        ("c/terraform.tfvars", "spec = \"other.yml\"\n"),
    ]);
    let by = |n: &str| {
        ws.projects
            .values()
            .find(|p| p.name.as_deref() == Some(n))
            .unwrap()
    };
    assert_eq!(by("b").buildspec.path.as_deref(), Some("ci/buildspec.yml"));
    assert_eq!(by("r").buildspec.kind, "unresolved");
}

/// A plan block that is unknown as a whole is unknown, not absent; `"${file(...)}"` is
/// the file itself, as HCL reads a template of one interpolation.
#[test]
fn whole_unknowns_in_plans_and_interpolated_files() {
    let dir = repo_root().join("fixtures/e2e/terraform-plan");
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("plan.json")).unwrap()).unwrap();
    plan["planned_values"]["root_module"]["resources"][2]["values"]
        .as_object_mut()
        .unwrap()
        .remove("stage");
    plan["resource_changes"][0]["change"]["after_unknown"]["stage"] = serde_json::json!(true);
    let r = linter().check_sources([("plan.json", plan.to_string())]);
    assert!(
        unverifiable(&r)
            .iter()
            .any(|m| m.contains("stages of pipeline")),
        "{:#?}",
        r.violations
    );
    let dir = repo_root().join("fixtures/e2e/terraform-file-buildspec");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let codebuild = read("codebuild.tf").replace(
        "file(\"${path.module}/platform/sca-buildspec.yml\")",
        "\"${file(\"${path.module}/platform/sca-buildspec.yml\")}\"",
    );
    assert!(codebuild.contains("\"${file("));
    let r = linter().check_sources([
        ("m/codebuild.tf".to_string(), codebuild),
        ("m/pipeline.tf".to_string(), read("pipeline.tf")),
        ("m/variables.tf".to_string(), read("variables.tf")),
        ("m/buildspec.yaml".to_string(), read("buildspec.yaml")),
        (
            "m/platform/sca-buildspec.yml".to_string(),
            read("platform/sca-buildspec.yml"),
        ),
    ]);
    assert!(r.active().next().is_none(), "{:#?}", r.violations);
}
