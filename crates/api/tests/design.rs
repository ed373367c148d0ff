//! The design agents end to end over HTTP, on SQLite and PostgreSQL, against stand-ins
//! that speak Figma's REST API (a file's components, component sets and nodes) and
//! GitHub's (a repository's tree and files, branches, contents and pull requests), fed
//! Figma's own LIBRARY_PUBLISH delivery:
//!
//! - the publish leads the design QA agent to sync the file and compare its components
//!   with the repository's: Button's sizes differ (Figma has Large, the code does not)
//!   and its code lacks the Has icon property, the text field is in step, Avatar is
//!   missing from the code and Badge from Figma — on the component rows and in the
//!   report;
//! - the component generator writes Button (and, asked by a person, the text field and
//!   the avatar) as React + TypeScript + Tailwind with a story, which `tsc` accepts in
//!   strict mode; its pull request waits for approval, then GitHub gets the branch, the
//!   two files (replacing the blobs that were there) and the pull request.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use common::{
    Caller, Server, agent_of_type, approve, call_ok, fixture, serve_node, task_where, wait_for_task,
};
use companyos_api::WebhookConfig;
use companyos_store::Service;
use companyos_store::testing::TestDb;
use companyos_supervisors::AgentTypeRegistry;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

companyos_store::contract_tests!(a_library_publish_is_checked_for_drift_and_turned_into_code,);

const REPO: &str = "/repos/Codertocat/Hello-World";

/// Button in the repository: its sizes stop at medium, and it has no `hasIcon`.
const BUTTON_SOURCE: &str = r#"import type { ReactNode } from 'react';

export interface ButtonProps {
  /** The button's size. */
  size?: 'small' | 'medium';
  label: string;
  disabled?: boolean;
  icon?: ReactNode;
  onClick?: () => void;
}

export function Button({ size = 'medium', label, disabled, icon, onClick }: ButtonProps) {
  return <button data-size={size} disabled={disabled} onClick={onClick}>{icon}{label}</button>;
}
"#;

/// The text field in the repository, as Figma has it.
const TEXT_FIELD_SOURCE: &str = r#"export type TextFieldProps = {
  placeholder?: string;
  className?: string;
};

export default function TextField({ placeholder, className }: TextFieldProps) {
  return <input className={className} placeholder={placeholder} />;
}
"#;

/// Figma and GitHub, as their APIs answer.
async fn stand_in() -> MockServer {
    let services = MockServer::start().await;
    let get = |route: &str, body: Value| {
        Mock::given(method("GET"))
            .and(path(route.to_owned()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
    };
    get(
        "/v1/files/FILEKEY1",
        json!({
            "name": "Design System", "role": "viewer", "lastModified": "2026-12-01T16:20:00Z",
            "editorType": "figma", "thumbnailUrl": "https://example.com/thumb.png", "version": "4093872811",
            "document": {"id": "0:0", "name": "Document", "type": "DOCUMENT", "children": []},
            "components": {}, "componentSets": {}, "styles": {}, "schemaVersion": 0,
        }),
    )
    .mount(&services)
    .await;
    get(
        "/v1/files/FILEKEY1/components",
        fixture("figma/api/file_components.shape.json"),
    )
    .mount(&services)
    .await;
    get(
        "/v1/files/FILEKEY1/component_sets",
        fixture("figma/api/file_component_sets.shape.json"),
    )
    .mount(&services)
    .await;
    get(
        "/v1/files/FILEKEY1/nodes",
        fixture("figma/api/file_nodes.shape.json"),
    )
    .mount(&services)
    .await;
    Mock::given(method("GET"))
        .and(path_regex(format!("^{REPO}/git/trees/.+$")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("github/api/git_tree.shape.json")),
        )
        .mount(&services)
        .await;
    for (file, source) in [
        ("src/components/Button.tsx", BUTTON_SOURCE),
        ("src/components/text-field/index.tsx", TEXT_FIELD_SOURCE),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("{REPO}/contents/{file}")))
            .respond_with(ResponseTemplate::new(200).set_body_string(source))
            .mount(&services)
            .await;
    }
    get(
        &format!("{REPO}/git/ref/heads/master"),
        fixture("github/api/git_ref.shape.json"),
    )
    .mount(&services)
    .await;
    Mock::given(method("GET"))
        .and(path_regex(format!("^{REPO}/git/ref/heads/companyos/.+$")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "message": "Not Found",
            "documentation_url": "https://docs.github.com/rest/git/refs#get-a-reference",
            "status": "404",
        })))
        .mount(&services)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/git/refs")))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(fixture("github/api/git_ref.shape.json")),
        )
        .mount(&services)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(format!("^{REPO}/contents/.+$")))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(fixture("github/api/file_commit.shape.json")),
        )
        .mount(&services)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{REPO}/pulls")))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            fixture("github/pull_request/opened.payload.json")["pull_request"].clone(),
        ))
        .mount(&services)
        .await;
    services
}

/// The components by name.
async fn components(server: &Server, caller: &Caller) -> HashMap<String, Value> {
    let page = call_ok(server, caller, Method::GET, "/api/design-components", None).await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["name"].as_str().expect("name").to_owned(),
                item.clone(),
            )
        })
        .collect()
}

/// Type-checks `files` (path → text) with the console's TypeScript and React types, in
/// strict mode with unused names refused.
fn type_check(files: &[(String, String)]) {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let tsc = web.join("node_modules/typescript/bin/tsc");
    assert!(
        tsc.exists(),
        "TypeScript is not installed at {}: run `npm ci --prefix web`",
        tsc.display()
    );
    let types = web.join("node_modules/@types/react");
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut names = Vec::new();
    for (file, contents) in files {
        let name = Path::new(file).file_name().expect("a file name");
        std::fs::write(dir.path().join(name), contents).expect("write");
        names.push(PathBuf::from(name).display().to_string());
    }
    let tsconfig = json!({
        "compilerOptions": {
            "strict": true, "noEmit": true, "jsx": "react-jsx", "target": "ES2022",
            "module": "ESNext", "moduleResolution": "Bundler", "skipLibCheck": true,
            "noUnusedLocals": true, "noUnusedParameters": true, "types": [],
            "paths": {
                "react": [types.join("index.d.ts")],
                "react/jsx-runtime": [types.join("jsx-runtime.d.ts")],
            },
        },
        "files": names,
    });
    std::fs::write(dir.path().join("tsconfig.json"), tsconfig.to_string()).expect("tsconfig");
    let output = std::process::Command::new("node")
        .arg(&tsc)
        .arg("-p")
        .arg(dir.path().join("tsconfig.json"))
        .output()
        .expect("node runs tsc");
    assert!(
        output.status.success(),
        "tsc refused the generated code:\n{}{}\n{files:#?}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn generated_files(
    server: &Server,
    caller: &Caller,
    component: &str,
) -> Vec<(String, String)> {
    let code = call_ok(
        server,
        caller,
        Method::GET,
        &format!("/api/design-components/{component}/code"),
        None,
    )
    .await;
    code["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|file| {
            (
                file["path"].as_str().expect("path").to_owned(),
                file["contents"].as_str().expect("contents").to_owned(),
            )
        })
        .collect()
}

async fn a_library_publish_is_checked_for_drift_and_turned_into_code(db: &TestDb) {
    let services = stand_in().await;
    let server = serve_node(
        db,
        |_| {},
        WebhookConfig::default(),
        AgentTypeRegistry::builtin(),
        HashMap::from([
            (Service::Github, services.uri()),
            (Service::Figma, services.uri()),
        ]),
        None,
    )
    .await;
    let (token, org) = server.owner("owner@design.test", "Design").await;
    let owner = Caller::new(&token, &org);

    // The repository, as GitHub's pull request delivery makes it known.
    let hook = server
        .connect_github(&owner, "ghp_design", "gh-design")
        .await;
    let body =
        serde_json::to_vec(&fixture("github/pull_request/opened.payload.json")).expect("body");
    let status = server
        .deliver_github_event(&hook, b"gh-design", "pull_request", "design-1", body)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    companyos_store::testing::eventually("the repository to be known", || async {
        let page = call_ok(&server, &owner, Method::GET, "/api/repositories", None).await;
        if page["items"]
            .as_array()
            .is_some_and(|items| !items.is_empty())
        {
            Ok(())
        } else {
            Err(page)
        }
    })
    .await;

    // Figma: the design agents come with it; pull requests are turned on.
    let connected = call_ok(
        &server,
        &owner,
        Method::POST,
        "/api/integrations/figma/connect",
        Some(json!({
            "credentials": {"token": "figd_design", "file_keys": "FILEKEY1"},
            "webhook_secret": "secretpassword",
        })),
    )
    .await;
    let started: Vec<&str> = connected["agents_started"]
        .as_array()
        .expect("agents_started")
        .iter()
        .filter_map(|agent| agent["type"].as_str())
        .collect();
    assert_eq!(
        started,
        ["figma_watcher", "design_qa", "component_generator"]
    );
    let generator = agent_of_type(&server, &owner, "component_generator").await;
    call_ok(
        &server,
        &owner,
        Method::PATCH,
        &format!("/api/agents/{generator}"),
        Some(json!({"configuration": {"open_pull_requests": true}})),
    )
    .await;
    let (status, problem) = server
        .call(
            Method::PATCH,
            &format!(
                "/api/agents/{}",
                agent_of_type(&server, &owner, "design_qa").await
            ),
            &owner,
            Some(json!({"configuration": {"patterns": ["src/[components"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // The file is followed once synced.
    let sync = call_ok(
        &server,
        &owner,
        Method::POST,
        "/api/integrations/figma/sync",
        None,
    )
    .await;
    let sync = wait_for_task(
        &server,
        &owner,
        sync["id"].as_str().expect("id"),
        "completed",
    )
    .await;
    let child = sync["output_data"]["follow_up_tasks"][0]
        .as_str()
        .unwrap_or_else(|| panic!("a file sync to follow: {sync}"))
        .to_owned();
    let child = wait_for_task(&server, &owner, &child, "completed").await;
    assert_eq!(
        child["output_data"]["synced"]["component_sets"], 1,
        "{child}"
    );
    assert_eq!(child["output_data"]["synced"]["components"], 5, "{child}");
    let rows = components(&server, &owner).await;
    assert_eq!(rows["Button"]["component_type"], "component_set");
    assert_eq!(rows["Size=Large"]["component_type"], "variant");
    assert_eq!(rows["Avatar"]["component_type"], "component");
    let spec = &rows["Button"]["metadata"]["spec"];
    assert_eq!(
        spec["properties"].as_array().map(Vec::len),
        Some(5),
        "{spec}"
    );
    assert_eq!(
        spec["look"]["fill"],
        json!({"hex": "#0066ff", "style": "Brand/Primary"})
    );
    assert_eq!(spec["look"]["layout"]["gap"], 8.0, "{spec}");

    // Figma's LIBRARY_PUBLISH delivery, for this file: Button created, Slider deleted.
    let mut publish = fixture("figma/LIBRARY_PUBLISH.docs.json");
    publish["file_key"] = json!("FILEKEY1");
    publish["file_name"] = json!("Design System");
    publish["created_components"] =
        json!([{"key": "a3b9d9c1f0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0", "name": "Button"}]);
    publish["modified_components"] = json!([]);
    let hook =
        connected["webhook_url"].as_str().expect("webhook url")[server.base.len()..].to_owned();
    let delivered = server
        .client
        .post(format!("{}{hook}", server.base))
        .json(&publish)
        .send()
        .await
        .expect("deliver");
    assert_eq!(delivered.status(), StatusCode::ACCEPTED);

    // The drift check.
    let check = task_where(&server, &owner, "check_design_drift", "completed", |_| true).await;
    let report = &check["output_data"];
    assert_eq!(report["repository"], "Codertocat/Hello-World", "{report}");
    assert_eq!(report["reference"], "master");
    assert_eq!(
        (
            report["figma_components"].as_u64(),
            report["code_components"].as_u64()
        ),
        (Some(3), Some(3)),
        "Button, Text field, Avatar against Badge, Button, TextField: {report}"
    );
    assert_eq!(
        (
            report["in_sync"].as_u64(),
            report["differ"].as_u64(),
            report["missing_in_code"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{report}"
    );
    assert_eq!(
        report["missing_in_figma"],
        json!([{"name": "Badge", "path": "src/components/Badge.tsx"}])
    );
    let rows = components(&server, &owner).await;
    let button = &rows["Button"]["drift"];
    assert_eq!(button["status"], "differs", "{button}");
    assert_eq!(button["code_path"], "src/components/Button.tsx");
    assert_eq!(
        button["differences"],
        json!([
            {"kind": "options_differ", "property": "size", "only_in_figma": ["large"], "only_in_code": []},
            {"kind": "property_missing_in_code", "property": "hasIcon"},
        ]),
        "{button}"
    );
    assert_eq!(rows["Forms/Text field"]["drift"]["status"], "in_sync");
    assert_eq!(
        rows["Forms/Text field"]["drift"]["code_path"],
        "src/components/text-field/index.tsx"
    );
    assert_eq!(rows["Avatar"]["drift"]["status"], "missing_in_code");
    assert!(
        rows["Size=Small"]["drift"].is_null(),
        "variants are not compared alone"
    );
    let reports = call_ok(&server, &owner, Method::GET, "/api/design/drift", None).await;
    assert_eq!(
        reports["items"].as_array().map(Vec::len),
        Some(1),
        "{reports}"
    );
    assert_eq!(
        reports["items"][0]["components"].as_array().map(Vec::len),
        Some(3)
    );

    // The code for Button, from the publish.
    let generated = task_where(&server, &owner, "generate_code", "completed", |_| true).await;
    let button_id = rows["Button"]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        generated["output_data"]["components"][0]["design_component_id"], button_id,
        "{generated}"
    );
    let files = generated_files(&server, &owner, &button_id).await;
    let names: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(
        names,
        [
            "src/components/Button.tsx",
            "src/components/Button.stories.tsx"
        ]
    );
    let component = &files[0].1;
    for expected in [
        "export type ButtonSize = 'small' | 'medium' | 'large';",
        "size = 'medium'",
        "label = 'Continue'",
        "icon?: ReactNode;",
        "'flex flex-row justify-center items-center bg-[#0066ff] rounded-[6px]'",
        "const sizeClasses: Record<ButtonSize, string> = {",
        "'small': 'gap-[4px] px-[8px] py-[4px]',",
        "// Figma styles: Brand/Primary, Label/Medium.",
    ] {
        assert!(component.contains(expected), "{expected:?} in\n{component}");
    }
    assert!(
        files[1]
            .1
            .contains("export const SizeLarge = { args: { size: 'large' } satisfies Args };")
    );
    let rows = components(&server, &owner).await;
    assert_eq!(rows["Button"]["code_generated"], true);
    assert_eq!(rows["Button"]["code_path"], "src/components/Button.tsx");

    // A person asks for the text field's and the avatar's code; all of it type-checks.
    let mut all = files.clone();
    for name in ["Forms/Text field", "Avatar"] {
        let id = rows[name]["id"].as_str().expect("id");
        let task = call_ok(
            &server,
            &owner,
            Method::POST,
            &format!("/api/design-components/{id}/generate-code"),
            None,
        )
        .await;
        wait_for_task(
            &server,
            &owner,
            task["id"].as_str().expect("id"),
            "completed",
        )
        .await;
        all.extend(generated_files(&server, &owner, id).await);
    }
    assert!(
        all.iter()
            .any(|(path, _)| path == "src/components/TextField.tsx")
    );
    type_check(&all);
    let (status, problem) = server
        .call(
            Method::GET,
            &format!(
                "/api/design-components/{}/code",
                rows["Size=Small"]["id"].as_str().expect("id")
            ),
            &owner,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    // Button's pull request waited for approval; approved, it reaches GitHub.
    let pull_request_task = generated["output_data"]["pull_request_task_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a pull request task: {generated}"))
        .to_owned();
    let waiting = wait_for_task(&server, &owner, &pull_request_task, "needs_approval").await;
    assert_eq!(waiting["requires_human_approval"], true, "{waiting}");
    let before = services.received_requests().await.unwrap_or_default();
    assert!(
        !before
            .iter()
            .any(|request| request.method.as_str() == "POST"
                && request.url.path().ends_with("/pulls")),
        "nothing reaches GitHub before the approval"
    );
    approve(&server, &owner, &pull_request_task).await;
    let opened = wait_for_task(&server, &owner, &pull_request_task, "completed").await;
    assert_eq!(opened["output_data"]["number"], 2, "{opened}");
    assert_eq!(
        opened["output_data"]["url"],
        "https://github.com/Codertocat/Hello-World/pull/2"
    );
    let branch = opened["output_data"]["branch"]
        .as_str()
        .expect("branch")
        .to_owned();
    assert!(branch.starts_with("companyos/components-"), "{branch}");
    let requests = services.received_requests().await.unwrap_or_default();
    let body = |request: &wiremock::Request| -> Value {
        serde_json::from_slice(&request.body).expect("a JSON body")
    };
    let refs: Vec<Value> = requests
        .iter()
        .filter(|request| {
            request.method.as_str() == "POST" && request.url.path().ends_with("/git/refs")
        })
        .map(body)
        .collect();
    assert_eq!(
        refs,
        [
            json!({"ref": format!("refs/heads/{branch}"), "sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821"})
        ]
    );
    let puts: Vec<(String, Value)> = requests
        .iter()
        .filter(|request| request.method.as_str() == "PUT")
        .map(|request| (request.url.path().to_owned(), body(request)))
        .collect();
    assert_eq!(puts.len(), 2, "{puts:?}");
    for ((route, put), (file, contents)) in puts.iter().zip(&files) {
        assert_eq!(route, &format!("{REPO}/contents/{file}"));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(put["content"].as_str().expect("content"))
            .expect("base64");
        assert_eq!(String::from_utf8_lossy(&decoded), contents.as_str());
        assert_eq!(put["branch"], branch.as_str());
    }
    // Both files were on the branch already: their blobs are named to be replaced.
    assert_eq!(puts[0].1["sha"], "8e4c2adf2b1c22eb00af3ed39c769bbf23f69c59");
    assert_eq!(puts[1].1["sha"], "7d3b19ce1a0b11dafffe2dc28b658aae12e58b48");
    let pulls: Vec<Value> = requests
        .iter()
        .filter(|request| {
            request.method.as_str() == "POST" && request.url.path().ends_with("/pulls")
        })
        .map(body)
        .collect();
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0]["title"], "Add the Button component from Figma");
    assert_eq!(
        (pulls[0]["head"].as_str(), pulls[0]["base"].as_str()),
        (Some(branch.as_str()), Some("master"))
    );

    // A check asked for by a person reports again.
    let asked = call_ok(&server, &owner, Method::POST, "/api/design/drift", None).await;
    wait_for_task(
        &server,
        &owner,
        asked["id"].as_str().expect("id"),
        "completed",
    )
    .await;
    let reports = call_ok(&server, &owner, Method::GET, "/api/design/drift", None).await;
    assert_eq!(
        reports["items"].as_array().map(Vec::len),
        Some(2),
        "{reports}"
    );
    server.stop().await;
}
