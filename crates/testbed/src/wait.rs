//! Polling helpers so that tests wait for conditions instead of sleeping.
//!
//! Both helpers evaluate the condition immediately, then every 50 ms until it holds or the
//! timeout passes; the timeout error names the condition. The condition is always evaluated at
//! least once, even with a zero timeout.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::TestbedError;

const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Polls `condition` until it returns `true`, failing with [`TestbedError::Timeout`] (naming
/// `what`) after `timeout`.
pub async fn wait_until<F, Fut>(
    timeout: Duration,
    what: &str,
    mut condition: F,
) -> Result<(), TestbedError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for(timeout, what, || {
        let fut = condition();
        async move { fut.await.then_some(()) }
    })
    .await
}

/// Polls `probe` until it returns `Some(value)` and returns that value, failing with
/// [`TestbedError::Timeout`] (naming `what`) after `timeout`.
pub async fn wait_for<T, F, Fut>(
    timeout: Duration,
    what: &str,
    mut probe: F,
) -> Result<T, TestbedError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return Ok(value);
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(TestbedError::Timeout {
                what: what.to_owned(),
                waited,
            });
        }
        tokio::time::sleep(POLL_INTERVAL.min(timeout - waited)).await;
    }
}
