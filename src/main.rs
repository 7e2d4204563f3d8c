//! The `scim2ldap` command: `serve`, `token new`, `check`, `explain`, `check-mapping`, `plan summary`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use scim2ldap::config::{Config, LogFormat};

mod check_command;
mod plan_command;

#[derive(Parser)]
#[command(name = "scim2ldap", version, about = "SCIM 2.0 service provider in front of an LDAP directory")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the SCIM API.
    Serve {
        /// YAML or TOML configuration; SCIM2LDAP__* environment variables override it.
        #[arg(long, env = "SCIM2LDAP_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Manage bearer tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check each target's bind, bases and rights, and its mapping against the directory's schema:
    /// unknown attributes and object classes, required attributes no mapping fills, single-valued
    /// attributes fed several values. Needs no bearer token.
    Check {
        #[arg(long, env = "SCIM2LDAP_CONFIG")]
        config: Option<PathBuf>,
        /// Also read the entries already under each base and report what an IdP's first cycle will
        /// meet (the takeover report).
        #[arg(long)]
        data: bool,
        /// Print one JSON document instead of lines for people.
        #[arg(long)]
        json: bool,
    },
    /// Print the LDAP operations a SCIM request would perform, without performing them (reads are
    /// done; writes are only listed). The request body, for POST, PUT and PATCH, is read from stdin.
    Explain {
        #[arg(long, env = "SCIM2LDAP_CONFIG")]
        config: Option<PathBuf>,
        /// The target, when the configuration lists several.
        #[arg(long, default_value = "")]
        target: String,
        /// POST, PUT, PATCH or DELETE.
        method: String,
        /// The resource path, such as /Users or /Users/{id}.
        path: String,
    },
    /// Check a mapping file and print what it maps, without a directory.
    CheckMapping {
        file: PathBuf,
        #[arg(long, default_value = "dc=example,dc=org")]
        base_dn: String,
    },
    /// Shadow mode's plan (the LDIF of the writes a shadow gateway would have made).
    Plan {
        #[command(subcommand)]
        command: PlanCommand,
    },
}

#[derive(Subcommand)]
enum PlanCommand {
    /// Counts what the plan would change: adds, modifies by attribute, renames, deactivations,
    /// deletes, and the entries it touches most.
    Summary { file: PathBuf },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new random token once, and the configuration entry that accepts it.
    New {
        /// Shown as the caller in audit lines: any printable text.
        #[arg(long, value_parser = scim2ldap::token::validate_name)]
        name: String,
    },
}

// glibc's malloc serialises the many small allocations of concurrent requests on arena locks (a
// fifth of the gateway's CPU under load); mimalloc keeps them thread-local.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { config } => report(serve(config)),
        Command::Token {
            command: TokenCommand::New { name },
        } => {
            let token = scim2ldap::token::new_token();
            println!("token (shown once): {token}");
            println!("add to auth.tokens in the configuration:");
            println!("  {}", scim2ldap::token::config_entry(&name, &token));
            ExitCode::SUCCESS
        }
        Command::Check { config, data, json } => report(check_command::run(config, data, json)),
        Command::Plan {
            command: PlanCommand::Summary { file },
        } => report(plan_command::summary(&file)),
        Command::Explain {
            config,
            target,
            method,
            path,
        } => report(explain(config, &target, &method, &path)),
        Command::CheckMapping { file, base_dn } => match scim2ldap::mapping::load(&file, &base_dn) {
            Ok(mapping) => {
                for m in std::iter::once(&mapping.users).chain(mapping.groups.as_ref()) {
                    println!("{} under {} ({} attributes)", m.kind.name(), m.base, m.attrs.len());
                    for a in &m.attrs {
                        let mut how = Vec::new();
                        if !a.transform.is_empty() {
                            let steps: Vec<&str> = a.transform.steps.iter().map(|s| s.name()).collect();
                            how.push(format!("via {}", steps.join(", ")));
                        }
                        how.extend(a.read_from.iter().map(|r| format!("read from {r}")));
                        how.extend(a.also.iter().map(|x| format!("also {x}")));
                        let how = if how.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", how.join("; "))
                        };
                        println!("  {:<70} <-> {}{how}", a.scim_path(), a.ldap);
                    }
                    for c in &m.computed {
                        println!("  {:<70}  -> {}", "(computed)", c.ldap);
                    }
                    if let Some(p) = &m.placement {
                        for (value, parent) in &p.parents {
                            println!("  placed under {parent} when {} is '{value}'", p.by);
                        }
                    }
                    for a in &m.allocate {
                        let counter = a.counter.as_deref().map(|c| format!(", counter {c}")).unwrap_or_default();
                        println!("  {:<70}  -> {} from {} to {}{counter}", "(allocated)", a.ldap, a.from, a.to);
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// The exit code of a command, its error printed.
fn report(outcome: Result<ExitCode, String>) -> ExitCode {
    outcome.unwrap_or_else(|e| {
        eprintln!("{e}");
        ExitCode::FAILURE
    })
}

/// A runtime of `threads` workers, or one on the calling thread.
fn runtime(threads: Option<usize>) -> Result<tokio::runtime::Runtime, String> {
    let mut builder = match threads {
        Some(threads) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(threads);
            builder
        }
        None => tokio::runtime::Builder::new_current_thread(),
    };
    builder.enable_all().build().map_err(|e| format!("cannot start the runtime: {e}"))
}

fn explain(config_file: Option<PathBuf>, target_name: &str, method: &str, path: &str) -> Result<ExitCode, String> {
    let config = Config::load(config_file.as_deref()).map_err(|e| e.to_string())?;
    let targets = config.targets();
    let target = targets
        .iter()
        .find(|t| t.name == target_name)
        .ok_or_else(|| format!("no target named '{target_name}'"))?;
    let mut body = String::new();
    if method != "DELETE" {
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut body)
            .map_err(|e| format!("cannot read the request body from stdin: {e}"))?;
    }
    let runtime = runtime(None)?;
    Ok(runtime.block_on(async {
        let (service, directory) = match scim2ldap::app::dry_run_service(&config, target).await {
            Ok(built) => built,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        // A path may be given whole, as the IdP sees it: `/scim/v2/<target>/Users/…`.
        let target_base = [scim2ldap::http::SCIM_BASE, target_name].join("/");
        let path = path.strip_prefix(target_base.trim_end_matches('/')).unwrap_or(path);
        let outcome = scim2ldap::service::explain(&service, method, path, &body).await;
        for operation in directory.operations() {
            println!("{operation}");
        }
        match outcome {
            Ok(status) => {
                println!("answer: {status} (no write was performed)");
                ExitCode::SUCCESS
            }
            Err(e) => {
                let error = scim2ldap::scim::ScimError::from(e);
                println!("answer: {} {} (no write was performed)", error.status, error.to_document());
                ExitCode::FAILURE
            }
        }
    }))
}

fn serve(config_file: Option<PathBuf>) -> Result<ExitCode, String> {
    let config = Config::load(config_file.as_deref()).map_err(|e| e.to_string())?;
    init_tracing(&config);
    let runtime = runtime(Some(config.server.request_threads()))?;
    Ok(runtime.block_on(async move {
        let app = match scim2ldap::app::build(&config).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("{e}");
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let metrics = app.metrics.clone();
        let live = Arc::new(RwLock::new(scim2ldap::http::router(app)));
        tokio::spawn(reload_loop(
            config_file.clone(),
            live.clone(),
            metrics,
            watched_files(config_file.as_deref(), &config),
        ));
        let listener = match tokio::net::TcpListener::bind(&config.server.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot listen on {}: {e}", config.server.listen);
                return ExitCode::FAILURE;
            }
        };
        for target in config.targets() {
            let path = [scim2ldap::http::SCIM_BASE, target.name].join("/");
            tracing::info!(listen = %config.server.listen, mapping = %target.mapping.display(), directory = %target.ldap.url,
                "scim2ldap serving {}", path.trim_end_matches('/'));
        }
        let served = scim2ldap::http::serve_live(listener, live, shutdown_signal()).await;
        plan_command::log_at_shutdown(&config);
        match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("server failed: {e}");
                ExitCode::FAILURE
            }
        }
    }))
}

/// The files a configuration was read from (the file, each target's mapping) with their modification
/// times.
fn watched_files(config_file: Option<&Path>, config: &Config) -> Vec<(PathBuf, Option<SystemTime>)> {
    config_file
        .into_iter()
        .map(Path::to_path_buf)
        .chain(config.targets().iter().map(|t| t.mapping.to_path_buf()))
        .map(|path| {
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
            (path, modified)
        })
        .collect()
}

/// Reloads the configuration and the mappings on SIGHUP and when one of their files changes. The new
/// application replaces the running one only when all of it loads and connects; otherwise the running
/// one stays, and the errors (with file and line) are logged and counted. Requests in flight finish on
/// the application they started on. The listen address and logging are kept from the start.
async fn reload_loop(
    config_file: Option<PathBuf>,
    live: Arc<RwLock<axum::Router>>,
    metrics: Arc<scim2ldap::metrics::Metrics>,
    mut watched: Vec<(PathBuf, Option<SystemTime>)>,
) {
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        let hangup_received = async {
            match hangup.as_mut() {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        let cause = tokio::select! {
            _ = hangup_received => "SIGHUP",
            _ = tick.tick() => {
                let now: Vec<_> = watched.iter().map(|(p, _)| (p.clone(), std::fs::metadata(p).and_then(|m| m.modified()).ok())).collect();
                if now == watched {
                    continue;
                }
                watched = now;
                "file change"
            }
        };
        let loaded = match Config::load(config_file.as_deref()) {
            Ok(config) => scim2ldap::app::build_with_metrics(&config, metrics.clone())
                .await
                .map(|app| (app, watched_files(config_file.as_deref(), &config))),
            Err(e) => Err(e.to_string()),
        };
        match loaded {
            Ok((app, files)) => {
                if let Ok(mut current) = live.write() {
                    *current = scim2ldap::http::router(app);
                }
                watched = files;
                metrics.increment("scim2ldap_config_reloads_total", &[("result", "ok")]);
                tracing::info!(cause, "configuration reloaded");
            }
            Err(e) => {
                metrics.increment("scim2ldap_config_reloads_total", &[("result", "failed")]);
                tracing::error!(cause, error = %e, "reload failed; the running configuration stays");
            }
        }
    }
}

fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log.level));
    // Colours only for a person at a terminal: in a file or a journal the escape codes are noise.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stdout()) && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colour);
    match config.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
