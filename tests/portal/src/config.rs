//! The command line: `b24-portal [--listen ADDR] [--rate BURST/PER_SECOND|off]
//! [--operating-limit SECONDS|off] [--static [PREFIX=]DIR]... [--app-listen ADDR]
//! [--app SPEC]... [--token-ttl SECONDS]`

use crate::limits::Rate;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

/// Usage text for `--help` and command-line errors.
pub const USAGE: &str = "\
usage: b24-portal [--listen 127.0.0.1:8390] [--rate BURST/PER_SECOND|off]
                  [--operating-limit SECONDS|off] [--static [PREFIX=]DIR]...
                  [--app-listen ADDR] [--app SPEC]... [--token-ttl SECONDS]

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
                            and issues on refreshAuth (default 3600)";

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
        }
    }
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Run(Config),
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
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(Command::Run(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        match Config::from_args(args.iter().map(|s| s.to_string()))? {
            Command::Run(c) => Ok(c),
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
        assert!(parse(&["--rate"]).is_err());
        assert!(matches!(
            Config::from_args(["--help".to_string()]),
            Ok(Command::Help)
        ));
    }
}
