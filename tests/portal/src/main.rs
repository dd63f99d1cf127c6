//! `b24-portal`: see `tests/portal/README.md`.

use b24_portal::{serve, Command, Config};
use std::io::Write;

#[tokio::main]
async fn main() {
    let config = match Config::from_args(std::env::args().skip(1)) {
        Ok(Command::Run(config)) => *config,
        Ok(Command::Help) => {
            println!("{}", b24_portal::config::USAGE);
            return;
        }
        Err(e) => {
            eprintln!("b24-portal: {e}\n{}", b24_portal::config::USAGE);
            std::process::exit(2);
        }
    };
    let server = match serve(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("b24-portal: cannot listen: {e}");
            std::process::exit(1);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "b24-portal listening on {}", server.base_url());
        for (user, url) in server.webhooks() {
            let _ = writeln!(out, "webhook user {user}: {url}");
        }
        let _ = writeln!(out, "portal page: {}", server.portal_page());
        if let Some(origin) = server.app_origin_url() {
            let _ = writeln!(out, "app origin: {origin}");
        }
        let _ = out.flush();
    }
    shutdown_signal().await;
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
