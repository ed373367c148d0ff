//! The rules-only pull-request review (`companyos_actors::review::analyse_changes`) on
//! pull requests of 10, 100 and 1,000 changed lines of mixed code — Rust, TypeScript,
//! Python, Go, YAML, SQL and Markdown, split into files of at most 40 changed lines with
//! context lines around them, the way GitHub's pull-request files endpoint returns them.
//! The code is ordinary, with the words secret rules look for (token, password, key,
//! secret) on many lines, so the keyword prefilter lets them through to the rules.
//!
//! Goal: at most 20 ms for 1,000 changed lines.
//!
//! Run: `cargo bench -p companyos-benches --bench review`

use std::hint::black_box;

use companyos_actors::review::{ChangedFile, FileStatus, analyse_changes};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// Source snippets, one per language, that the generated files are cut from.
const SNIPPETS: &[(&str, &[&str])] = &[
    (
        "rs",
        &[
            "pub async fn find_invoice(pool: &PgPool, id: Uuid) -> Result<Option<Invoice>, Error> {",
            "    let token = headers.get(AUTHORIZATION).and_then(|value| value.to_str().ok());",
            "    sqlx::query_as::<_, Invoice>(\"SELECT id, amount FROM invoices WHERE id = $1\")",
            "        .bind(id)",
            "        .fetch_optional(pool)",
            "        .await",
            "}",
            "let api_token = std::env::var(\"API_TOKEN\")?;",
            "let password_hash = argon2.hash_password(password.as_bytes(), &salt)?.to_string();",
            "#[derive(Debug, Clone, Serialize, Deserialize)]",
            "pub struct Settings { pub secret_name: String, pub token_ttl_seconds: u64 }",
        ],
    ),
    (
        "ts",
        &[
            "export function InvoiceList({ teamId }: { teamId: string }) {",
            "  const [items, setItems] = useState<Invoice[]>([]);",
            "  const token = sessionStorage.getItem('accessToken');",
            "  useEffect(() => { api.get(`/teams/${teamId}/invoices`).then(setItems); }, [teamId]);",
            "  const headers = { Authorization: `Bearer ${token}` };",
            "  return <ul>{items.map((item) => <li key={item.id}>{item.title}</li>)}</ul>;",
            "}",
            "export const signUpSchema = z.object({ email: z.string().email(), password: z.string().min(12) });",
        ],
    ),
    (
        "py",
        &[
            "def archive_orders(team_id, before):",
            "    with connection.cursor() as cursor:",
            "        cursor.execute(\"UPDATE orders SET archived = TRUE WHERE team_id = %s\", (team_id,))",
            "        logger.info(\"archived %d orders\", cursor.rowcount)",
            "    api_key = settings.PARTNER_API_KEY",
            "    secret = hashlib.sha256(payload).hexdigest()",
            "    password = form.cleaned_data[\"password\"]",
            "    return cursor.rowcount",
        ],
    ),
    (
        "go",
        &[
            "func (h *Handler) Get(w http.ResponseWriter, r *http.Request) {",
            "\trow := h.DB.QueryRowContext(r.Context(), \"SELECT id FROM orders WHERE id = $1\", id)",
            "\ttoken := r.Header.Get(\"Authorization\")",
            "\tif err := row.Scan(&item.ID); err != nil {",
            "\t\thttp.Error(w, \"not found\", http.StatusNotFound)",
            "\t\treturn",
            "\t}",
            "\tAPIToken: os.Getenv(\"API_TOKEN\"),",
        ],
    ),
    (
        "yaml",
        &[
            "  env:",
            "    - name: DATABASE_PASSWORD",
            "      valueFrom:",
            "        secretKeyRef: { name: api-db, key: password }",
            "  token_url: https://auth.acme-corp.net/oauth/token",
            "  client_secret: ${OAUTH_CLIENT_SECRET}",
            "  replicas: 3",
        ],
    ),
    (
        "sql",
        &[
            "CREATE TABLE invoices (",
            "    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),",
            "    amount_cents BIGINT NOT NULL DEFAULT 0,",
            "    created_at TIMESTAMPTZ NOT NULL DEFAULT now()",
            ");",
            "CREATE INDEX invoices_created_at ON invoices (created_at);",
        ],
    ),
    (
        "md",
        &[
            "## Running locally",
            "Copy `.env.example` to `.env` and set `API_TOKEN=<your-token>`.",
            "The API expects `Authorization: Bearer <token>` on every request.",
            "Never commit real credentials: the secret scanner will flag them.",
        ],
    ),
];

/// A deterministic pseudo-random sequence (no dependency needed for a benchmark).
struct SimpleRandom(u64);

impl SimpleRandom {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next()).unwrap_or(0) % bound.max(1)
    }
}

/// A pull request with `changed_lines` added lines, in files of at most 40 added lines,
/// each hunk with three context lines before and after.
fn pull_request(changed_lines: usize) -> Vec<ChangedFile> {
    let mut random = SimpleRandom(changed_lines as u64);
    let mut files = Vec::new();
    let mut remaining = changed_lines;
    while remaining > 0 {
        let (extension, snippet) = SNIPPETS[random.below(SNIPPETS.len())];
        let added_count = remaining.min(40);
        remaining -= added_count;
        let start = 10 + random.below(200);
        let mut patch = format!(
            "@@ -{start},6 +{start},{} @@ fn surrounding() {{\n",
            added_count + 6
        );
        for index in 0..3 {
            patch.push(' ');
            patch.push_str(snippet[(index + 3) % snippet.len()]);
            patch.push('\n');
        }
        for _ in 0..added_count {
            patch.push('+');
            patch.push_str(snippet[random.below(snippet.len())]);
            patch.push('\n');
        }
        for index in 0..3 {
            patch.push(' ');
            patch.push_str(snippet[index % snippet.len()]);
            patch.push('\n');
        }
        files.push(ChangedFile {
            path: format!(
                "services/module_{}/file_{}.{extension}",
                files.len() % 7,
                files.len()
            ),
            previous_path: None,
            status: FileStatus::Modified,
            additions: u32::try_from(added_count).unwrap_or(u32::MAX),
            deletions: 0,
            patch: Some(patch),
        });
    }
    files
}

fn review(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("review_analyse_changes");
    for changed_lines in [10usize, 100, 1_000] {
        let files = pull_request(changed_lines);
        group.throughput(Throughput::Elements(changed_lines as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(changed_lines),
            &files,
            |bencher, files| bencher.iter(|| analyse_changes(black_box(files))),
        );
    }
    group.finish();
}

criterion_group!(benches, review);
criterion_main!(benches);
