//! `companyos`: one binary runs a CompanyOS node.
//!
//! It reads the layered configuration, sets up logging, opens the database (SQLite
//! under `./data` when nothing else is configured) and applies migrations, then serves
//! the HTTP edge. Every start-up failure is one line on standard error and exit code 2;
//! never a panic backtrace.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use companyos::config::{CONFIG_FILE_ENV, Config, ConfigError, Overrides, SETTINGS, redact_value};
use companyos::node::{self, Fatal};
use companyos::telemetry;

/// mimalloc rather than the system allocator: see BENCHMARKS.md (the webhook pipeline).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CompanyOS — operations platform for software companies.
///
/// With no configuration at all, `companyos serve` starts a node on SQLite under
/// ./data and serves the console, /healthz and /readyz on http://127.0.0.1:8080.
/// Settings come from built-in defaults, then companyos.toml (or the file named by
/// --config / COMPANYOS_CONFIG), then COMPANYOS_* environment variables, then flags.
/// `companyos settings` lists every setting with its default.
#[derive(Parser, Debug)]
#[command(name = "companyos", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct GlobalArgs {
    /// Configuration file (TOML) [env: COMPANYOS_CONFIG] [default: ./companyos.toml if present]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Directory for the embedded database and generated keys [env: COMPANYOS_DATA_DIR] [default: ./data]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<String>,
    /// Database URL; postgres://… selects PostgreSQL [env: DATABASE_URL, COMPANYOS_DATABASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Log format: human or json [env: COMPANYOS_LOG_FORMAT] [default: human]
    #[arg(long, global = true, value_name = "FORMAT")]
    log_format: Option<String>,
    /// Log filter, e.g. info or info,sqlx=warn [env: COMPANYOS_LOG_LEVEL] [default: info]
    #[arg(long, global = true, value_name = "FILTER")]
    log_level: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a node: open the database, apply migrations, serve HTTP until interrupted
    Serve {
        /// Address to listen on [env: COMPANYOS_LISTEN] [default: 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Apply pending database migrations and exit
    Migrate,
    /// List every setting: its file key, environment variable, default and meaning
    Settings,
    /// Print the effective configuration (after file, environment and flags) as TOML
    Config,
    /// Manage users without the HTTP API (headless bootstrap)
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Manage the master key that seals integration credentials
    Keys {
        #[command(subcommand)]
        action: KeysCommand,
    },
    /// Copy the embedded SQLite database to a new file, consistently, while the node
    /// may keep running (PostgreSQL: use pg_dump)
    Backup {
        /// The file to write; it must not exist
        file: std::path::PathBuf,
    },
    /// Replace the embedded SQLite database with a backup (stop the node first); the
    /// database it replaces is kept beside it
    Restore {
        /// The backup to restore
        file: std::path::PathBuf,
    },
    /// Webhook deliveries: replay one from the payload archive
    Deliveries {
        #[command(subcommand)]
        action: DeliveriesCommand,
    },
}

#[derive(Subcommand, Debug)]
enum DeliveriesCommand {
    /// Record a delivery again — from the payload archive, or the database when the
    /// archive does not have it — as a new delivery of its integration, which the node
    /// running its organization makes into an event (a node must be running)
    Replay {
        /// The delivery's id (the delivery_id its webhook answer gave)
        id: String,
        /// Seconds to wait for the node to process it (0: do not wait)
        #[arg(long, default_value_t = 60, value_name = "SECONDS")]
        wait: u64,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Re-encrypt every stored credential and webhook secret under a new key (generated
    /// unless given); safe to run again after an interruption
    Rotate {
        /// The new key: 64 hex digits or base64 of 32 bytes [default: a new random key]
        #[arg(long, value_name = "KEY", env = "COMPANYOS_NEW_MASTER_KEY")]
        new_key: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a user, reading the password from standard input (its first line)
    Create {
        /// The user's email (how they log in)
        #[arg(long)]
        email: String,
        /// Display name [default: the email's local part]
        #[arg(long)]
        name: Option<String>,
        /// An existing organization's id or slug; with --role owner, a new organization's name
        #[arg(long, value_name = "ORG")]
        org: String,
        /// owner, admin, member or viewer
        #[arg(long, default_value = "owner")]
        role: String,
    },
}

fn main() -> ExitCode {
    // One TLS provider for the whole process (see companyos_integrations::http).
    companyos_integrations::http::install_default_provider();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fatal(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), Fatal> {
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    let overrides = Overrides {
        config_file: cli.global.config.clone(),
        listen,
        data_dir: cli.global.data_dir.clone(),
        database_url: cli.global.database_url.clone(),
        log_format: cli.global.log_format.clone(),
        log_level: cli.global.log_level.clone(),
    };
    if let Command::Settings = cli.command {
        print_settings();
        return Ok(());
    }
    let config = Config::load(&overrides)?;
    if let Command::Config = cli.command {
        print_config(&config)?;
        return Ok(());
    }
    let telemetry = telemetry::init(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Fatal(format!("cannot start the async runtime: {error}")))?;
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Serve { .. } => node::serve(config).await,
            Command::Migrate => node::migrate(config).await,
            Command::Keys {
                action: KeysCommand::Rotate { new_key },
            } => {
                let rotation = node::rotate_keys(config, new_key).await?;
                println!(
                    "re-encrypted {} secrets from key {} to key {}",
                    rotation.resealed, rotation.old_id, rotation.new_id
                );
                match rotation.install {
                    Some(key) => println!(
                        "set COMPANYOS_MASTER_KEY (auth.master_key) to {key} on every node and restart them; the old key no longer opens anything"
                    ),
                    None => println!(
                        "the new key is in the data directory's master.key (the old one kept beside it); restart running nodes"
                    ),
                }
                Ok(())
            }
            Command::User {
                action:
                    UserCommand::Create {
                        email,
                        name,
                        org,
                        role,
                    },
            } => {
                let password = read_password()?;
                let name = name.unwrap_or_else(|| {
                    email.split('@').next().unwrap_or(email.as_str()).to_owned()
                });
                node::create_user(config, &email, &name, &password, &org, &role).await
            }
            Command::Backup { file } => {
                let bytes = node::backup(config, &file).await?;
                println!("backed up to {} ({bytes} bytes)", file.display());
                Ok(())
            }
            Command::Restore { file } => {
                match node::restore(config, &file).await? {
                    Some(kept) => println!(
                        "restored {}; the database it replaced is kept at {}",
                        file.display(),
                        kept.display()
                    ),
                    None => println!("restored {}", file.display()),
                }
                Ok(())
            }
            Command::Deliveries {
                action: DeliveriesCommand::Replay { id, wait },
            } => {
                let id = id.trim().parse().map_err(|_| {
                    Fatal(format!(
                        "{id:?} is not a delivery id: expected a UUID such as the delivery_id of a webhook's answer"
                    ))
                })?;
                let wait = (wait > 0).then(|| std::time::Duration::from_secs(wait));
                let replay = node::replay_delivery(config, id, wait).await?;
                match replay.outcome {
                    None => println!(
                        "recorded {}, a replay of {} ({} {}) read from {}; the node running its organization processes it",
                        replay.replay,
                        replay.original,
                        replay.service,
                        replay.event_type,
                        replay.source
                    ),
                    Some(node::ReplayOutcome::Event(event)) => {
                        println!("replayed {} as {}: event {event}", replay.original, replay.replay);
                    }
                    Some(node::ReplayOutcome::NotProcessed(status, reason)) => {
                        return Err(Fatal(format!(
                            "the replay {} was not made into an event: {status}{}",
                            replay.replay,
                            reason.map(|reason| format!(" ({reason})")).unwrap_or_default()
                        )));
                    }
                    Some(node::ReplayOutcome::StillWaiting) => {
                        return Err(Fatal(format!(
                            "the replay {} is recorded but no node processed it yet; a node running its organization processes it when it runs (check that one is up)",
                            replay.replay
                        )));
                    }
                }
                Ok(())
            }
            Command::Settings | Command::Config => Ok(()),
        }
    });
    // Off the runtime's threads: the last spans are sent before the process exits.
    drop(runtime);
    telemetry.shutdown();
    outcome
}

/// The password, from the first line of standard input (so it never appears in the
/// process list or the shell history).
fn read_password() -> Result<String, Fatal> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|error| {
        Fatal(format!(
            "cannot read the password from standard input: {error}"
        ))
    })?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(Fatal(
            "give the password on standard input, e.g. `printf '%s\\n' \"$PASSWORD\" | companyos user create …`".into(),
        ));
    }
    Ok(password)
}

fn print_settings() {
    println!("Settings, in the order file key / environment variable / default — meaning.");
    println!(
        "Later layers win: defaults < file ({CONFIG_FILE_ENV} or --config) < environment < flags.\n"
    );
    for setting in SETTINGS {
        let default = if setting.default.is_empty() {
            "(empty)"
        } else {
            setting.default
        };
        println!(
            "{:<30} {:<40} {}\n    {}",
            setting.key, setting.env, default, setting.help
        );
    }
}

fn print_config(config: &Config) -> Result<(), Fatal> {
    let mut section = "";
    for setting in SETTINGS {
        let (table, key) = setting.key.split_once('.').unwrap_or(("", setting.key));
        if table != section {
            println!("\n[{table}]");
            section = table;
        }
        let value = redact_value(
            setting.key,
            &config.get(setting.key).map_err(ConfigError::from)?,
        );
        let quoted = if value.parse::<u64>().is_ok() || value == "true" || value == "false" {
            value
        } else {
            format!("{value:?}")
        };
        println!("{key} = {quoted}");
    }
    Ok(())
}
