//! Cold start of a function binary, measured the way Lambda starts it: the process is spawned
//! with `AWS_LAMBDA_RUNTIME_API` pointing at a stand-in Runtime API on loopback, which hands it
//! one event. Init is exec → the first poll for an event; CPU is every thread's time on CPU
//! (`/proc/<pid>/task/*/schedstat`) once the first response is in, i.e. init plus the first
//! request.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct ColdRun {
    pub init_ms: f64,
    pub cpu_ms: f64,
    /// The first response's `statusCode`.
    pub status: i64,
}

/// One HTTP/1.1 request off a keep-alive connection: (method, path, body).
async fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> Option<(String, String, Vec<u8>)> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0usize);
            while buffer.len() < end + 4 + length {
                let mut chunk = [0u8; 8192];
                let read = stream.read(&mut chunk).await.ok()?;
                if read == 0 {
                    return None;
                }
                buffer.extend_from_slice(&chunk[..read]);
            }
            let body = buffer[end + 4..end + 4 + length].to_vec();
            buffer.drain(..end + 4 + length);
            let mut parts = head.split_whitespace();
            return Some((parts.next()?.to_string(), parts.next()?.to_string(), body));
        }
        let mut chunk = [0u8; 8192];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

pub async fn cold_run(
    binary: &Path,
    env: &HashMap<String, String>,
    event: &Value,
) -> Result<ColdRun, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let started = Instant::now();
    // `ACTAS_BENCH_PERF_DIR`: the run under `perf record` (DWARF call graphs), its profile written
    // there as `<function>.<n>.perf.data` (one a round), for the first-request profiles of docs/performance.md.
    let perf_dir = std::env::var_os("ACTAS_BENCH_PERF_DIR").map(std::path::PathBuf::from);
    let mut command = match &perf_dir {
        Some(dir) => {
            let name = binary.file_name().unwrap_or_default().to_string_lossy();
            let mut perf = Command::new("perf");
            perf.args([
                "record",
                "-q",
                "-F",
                "25000",
                "--call-graph",
                "dwarf,32768",
                "-o",
            ])
            .arg(dir.join(format!("{name}.{}.perf.data", started.elapsed().as_nanos())))
            .arg("--")
            .arg(binary);
            perf
        }
        None => Command::new(binary),
    };
    let mut child = command
        .env_clear()
        .envs(env)
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let pid = child.id();
    let event = event.to_string();
    let served = tokio::time::timeout(Duration::from_secs(20), async {
        let mut first_poll = None;
        loop {
            let (mut stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
            let mut buffer = Vec::new();
            while let Some((method, path, body)) = read_request(&mut stream, &mut buffer).await {
                if method == "GET" && path.ends_with("/invocation/next") {
                    if first_poll.is_some() {
                        // The second poll: the first event is done with.
                        continue;
                    }
                    first_poll = Some(started.elapsed());
                    let deadline = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_millis() + 30_000)
                        .unwrap_or_default();
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: bench-1\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:bench\r\nLambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\nContent-Length: {}\r\n\r\n{event}",
                        event.len()
                    );
                    stream.write_all(reply.as_bytes()).await.map_err(|e| e.to_string())?;
                } else if method == "POST" {
                    let cpu = cpu_ns(pid);
                    let _ = stream.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n").await;
                    let response: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let status = response["statusCode"].as_i64().unwrap_or(if path.ends_with("/error") { -1 } else { 0 });
                    if status == -1 {
                        eprintln!("{}: the first request failed: {response}", binary.display());
                    }
                    return Ok::<_, String>((first_poll.unwrap_or_default(), cpu, status));
                }
            }
        }
    })
    .await;
    if perf_dir.is_some() {
        // perf writes its profile when interrupted (a kill would lose it).
        let _ = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
    } else {
        let _ = child.kill();
    }
    let _ = child.wait();
    let (init, cpu, status) =
        served.map_err(|_| format!("{}: no answer in 20 s", binary.display()))??;
    Ok(ColdRun {
        init_ms: init.as_secs_f64() * 1e3,
        cpu_ms: cpu as f64 / 1e6,
        status,
    })
}
