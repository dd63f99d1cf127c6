//! The command line: `b24-portal [--listen ADDR] [--rate BURST/PER_SECOND|off]
//! [--operating-limit SECONDS|off] [--static [PREFIX=]DIR]... [--app-listen ADDR]
//! [--app SPEC]... [--token-ttl SECONDS]` plus the connection and request limits
//! (`--header-timeout`, `--body-timeout`, `--max-connections`, `--max-body-bytes`,
//! `--max-params`).

use crate::limits::Rate;
use crate::params::DEFAULT_MAX_PARAMS;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// Usage text for `--help` and command-line errors.
pub const USAGE: &str = "\
usage: b24-portal [--listen 127.0.0.1:8390] [--rate BURST/PER_SECOND|off]
                  [--operating-limit SECONDS|off] [--static [PREFIX=]DIR]...
                  [--app-listen ADDR] [--app SPEC]... [--token-ttl SECONDS]
                  [--header-timeout S] [--body-timeout S] [--max-connections N]
                  [--max-body-bytes N] [--max-params N]

  --listen ADDR             address to listen on; port 0 picks a free port
  --rate B/P | off          leaky bucket: burst B, drains P per second (default 50/2)
  --operating-limit S | off block a method for a caller after S seconds of processing
                            within 10 minutes (default off)
  --static [PREFIX=]DIR     serve DIR at URL PREFIX (default /); repeatable, mounts at
                            the same prefix are tried in order
  --app-listen ADDR         a second origin that serves only the --static mounts
                            (the placement app's own host, as in a real deployment)
  --app SPEC                register a placement app on the portal page (/portal/):
                            URL, or handler=URL,placement=CODE,title=TEXT
                            (default placement IM_CONTEXT_MENU, title \"Open app\");
                            repeatable
  --token-ttl SECONDS       lifetime of the tokens the portal page hands to frames
                            and issues on refreshAuth (default 3600)
  --header-timeout S        close a connection whose next request head has not fully
                            arrived S seconds after it became ready for it: the
                            slowloris and keep-alive idle timeout (default 10)
  --body-timeout S          a request body must arrive within S seconds, else 408
                            (default 30)
  --max-connections N       open connections; beyond it the longest-idle one is closed,
                            and new ones are refused when none is idle (default 512,
                            lowered to fit the open-files limit)
  --max-body-bytes N        larger request bodies get 413 (default 2097152 = 2 MiB)
  --max-params N            more form pairs in the query or in the body get 400
                            (default 10000, Bitrix's max_input_vars)";

/// Defaults of the connection and request limits (see `USAGE`).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// The longest timeout accepted on the command line (one day).
const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// A directory served at a URL prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct StaticMount {
    /// `/` or `/pkg` (no trailing slash except for the root).
    pub prefix: String,
    pub dir: PathBuf,
}

impl StaticMount {
    /// Parses `DIR` or `PREFIX=DIR`.
    pub fn parse(text: &str) -> Result<StaticMount, String> {
        let (prefix, dir) = match text.split_once('=') {
            Some((p, d)) if p.starts_with('/') => (p, d),
            _ => ("/", text),
        };
        if dir.is_empty() {
            return Err(format!("--static needs a directory, got {text:?}"));
        }
        let trimmed = prefix.trim_end_matches('/');
        let prefix = if trimmed.is_empty() {
            "/".to_string()
        } else {
            trimmed.to_string()
        };
        Ok(StaticMount {
            prefix,
            dir: PathBuf::from(dir),
        })
    }
}

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// `None`: no rate limit.
    pub rate: Option<Rate>,
    /// Seconds of processing per method and caller within 10 minutes; `None`: off.
    pub operating_limit: Option<f64>,
    pub statics: Vec<StaticMount>,
    /// The placement apps registered at start-up (`--app`).
    pub apps: Vec<crate::frame::AppSpec>,
    /// A second listener serving only the static mounts (`--app-listen`).
    pub app_listen: Option<SocketAddr>,
    /// Lifetime of the tokens the portal page gives frames (`--token-ttl`).
    pub token_ttl: i64,
    /// Time for a request head, from the moment the connection waits for one.
    pub header_timeout: Duration,
    /// Time for a request body, from the moment its head arrived.
    pub body_timeout: Duration,
    pub max_connections: usize,
    pub max_body_bytes: usize,
    /// Form pairs per source (query string, body).
    pub max_params: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8390)),
            rate: Some(Rate::DEFAULT),
            operating_limit: None,
            statics: Vec::new(),
            apps: Vec::new(),
            app_listen: None,
            token_ttl: crate::auth::DEFAULT_TTL,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_params: DEFAULT_MAX_PARAMS,
        }
    }
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Boxed: the configuration is large, and `Help` carries nothing.
    Run(Box<Config>),
    Help,
}

/// Parses an operating limit: seconds (fractions allowed) or `off`.
pub fn parse_operating_limit(text: &str) -> Result<Option<f64>, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match text.trim().parse::<f64>() {
        Ok(s) if s >= 0.0 && s.is_finite() => Ok(Some(s)),
        _ => Err(format!(
            "--operating-limit must be seconds or off, got {text:?}"
        )),
    }
}

/// Parses a timeout flag: seconds, fractions allowed, above 0 and at most a day.
fn parse_timeout(flag: &str, text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0 && *s <= MAX_TIMEOUT_SECS)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("{flag} must be seconds in (0, {MAX_TIMEOUT_SECS}], got {text:?}"))
}

/// Parses a count flag: a whole number of at least 1.
fn parse_count(flag: &str, text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("{flag} must be a whole number >= 1, got {text:?}"))
}

impl Config {
    /// Parses the arguments after the program name. Accepts `--flag value` and
    /// `--flag=value`.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
        let mut config = Config::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            if flag == "--help" || flag == "-h" {
                return Ok(Command::Help);
            }
            let mut value = || -> Result<String, String> {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--listen" => {
                    let v = value()?;
                    config.listen = v
                        .to_socket_addrs()
                        .map_err(|e| format!("bad --listen {v:?}: {e}"))?
                        .next()
                        .ok_or_else(|| format!("bad --listen {v:?}"))?;
                }
                "--rate" => config.rate = Rate::parse(&value()?)?,
                "--operating-limit" => config.operating_limit = parse_operating_limit(&value()?)?,
                "--static" => config.statics.push(StaticMount::parse(&value()?)?),
                "--app" => config.apps.push(crate::frame::AppSpec::parse(&value()?)?),
                "--app-listen" => {
                    let v = value()?;
                    config.app_listen = Some(
                        v.to_socket_addrs()
                            .map_err(|e| format!("bad --app-listen {v:?}: {e}"))?
                            .next()
                            .ok_or_else(|| format!("bad --app-listen {v:?}"))?,
                    );
                }
                "--token-ttl" => {
                    let v = value()?;
                    config.token_ttl = v
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|s| (1..=crate::frame::MAX_TOKEN_TTL).contains(s))
                        .ok_or_else(|| {
                            format!(
                                "--token-ttl must be 1..={} seconds, got {v:?}",
                                crate::frame::MAX_TOKEN_TTL
                            )
                        })?;
                }
                "--header-timeout" => config.header_timeout = parse_timeout(&flag, &value()?)?,
                "--body-timeout" => config.body_timeout = parse_timeout(&flag, &value()?)?,
                "--max-connections" => config.max_connections = parse_count(&flag, &value()?)?,
                "--max-body-bytes" => config.max_body_bytes = parse_count(&flag, &value()?)?,
                "--max-params" => config.max_params = parse_count(&flag, &value()?)?,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(Command::Run(Box::new(config)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        match Config::from_args(args.iter().map(|s| s.to_string()))? {
            Command::Run(c) => Ok(*c),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn defaults_and_flags() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.listen.port(), 8390);
        assert_eq!(c.rate, Some(Rate::DEFAULT));
        let c = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--rate=off",
            "--operating-limit",
            "2.5",
            "--static",
            "www",
            "--static",
            "/pkg=pkg/web",
        ])
        .unwrap();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.rate, None);
        assert_eq!(c.operating_limit, Some(2.5));
        assert_eq!(c.statics[0].prefix, "/");
        assert_eq!(c.statics[1].prefix, "/pkg");
        assert_eq!(c.statics[1].dir, PathBuf::from("pkg/web"));
        assert!(parse(&["--bogus"]).is_err());
        let c = parse(&[
            "--app-listen",
            "127.0.0.1:0",
            "--app",
            "http://127.0.0.1:5173/",
            "--app=handler=http://h/x,title=Poll results",
            "--token-ttl",
            "5",
        ])
        .unwrap();
        assert_eq!(c.app_listen.map(|a| a.port()), Some(0));
        assert_eq!(c.apps.len(), 2);
        assert_eq!(c.apps[1].title, "Poll results");
        assert_eq!(c.token_ttl, 5);
        assert!(parse(&["--token-ttl", "0"]).is_err());
        assert!(parse(&["--token-ttl", "99999999999999999999"]).is_err());
        assert!(parse(&["--app", "not a url"]).is_err());
        let c = parse(&[]).unwrap();
        assert_eq!(c.header_timeout, Duration::from_secs(10));
        assert_eq!(c.max_params, 10_000);
        let c = parse(&[
            "--header-timeout=0.5",
            "--body-timeout",
            "2",
            "--max-connections",
            "20",
            "--max-body-bytes",
            "1000",
            "--max-params",
            "7",
        ])
        .unwrap();
        assert_eq!(c.header_timeout, Duration::from_millis(500));
        assert_eq!(c.body_timeout, Duration::from_secs(2));
        assert_eq!(
            (c.max_connections, c.max_body_bytes, c.max_params),
            (20, 1000, 7)
        );
        for bad in [
            ["--header-timeout", "0"],
            ["--header-timeout", "-1"],
            ["--header-timeout", "NaN"],
            ["--header-timeout", "1e300"],
            ["--body-timeout", "inf"],
            ["--max-connections", "0"],
            ["--max-params", "-5"],
            ["--max-body-bytes", "99999999999999999999999"],
        ] {
            assert!(parse(&bad).is_err(), "{bad:?}");
        }
        assert!(parse(&["--rate"]).is_err());
        assert!(matches!(
            Config::from_args(["--help".to_string()]),
            Ok(Command::Help)
        ));
    }
}
