//! The async calls (feature `async`): the same requests as the blocking ones, through reqwest
//! on a tokio runtime.

use vitals_core::Registry;

use crate::error::{Error, Result};
use crate::pusher::{body, Method, Pusher, CONTENT_TYPE};

impl Pusher {
    /// [`push`](Self::push) without blocking: replaces every metric of the group (HTTP `PUT`).
    /// Needs a tokio runtime. The registry is encoded before the first `.await`.
    ///
    /// ```no_run
    /// # async fn f(registry: vitals_core::Registry) -> Result<(), vitals_push::Error> {
    /// vitals_push::Pusher::new("http://pushgateway:9091", "backup")?
    ///     .push_async(&registry)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn push_async(&self, registry: &Registry) -> Result<()> {
        let body = body(registry);
        self.send_async(Method::Put, Some(body)).await
    }

    /// [`push_add`](Self::push_add) without blocking: adds the metrics to the group, replacing
    /// those of the same names (HTTP `POST`). Needs a tokio runtime.
    ///
    /// ```no_run
    /// # async fn f(registry: vitals_core::Registry) -> Result<(), vitals_push::Error> {
    /// vitals_push::Pusher::new("http://pushgateway:9091", "backup")?
    ///     .push_add_async(&registry)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn push_add_async(&self, registry: &Registry) -> Result<()> {
        let body = body(registry);
        self.send_async(Method::Post, Some(body)).await
    }

    /// [`delete`](Self::delete) without blocking: deletes the group (HTTP `DELETE`). Needs a
    /// tokio runtime.
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), vitals_push::Error> {
    /// vitals_push::Pusher::new("http://pushgateway:9091", "backup")?
    ///     .delete_async()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_async(&self) -> Result<()> {
        self.send_async(Method::Delete, None).await
    }

    async fn send_async(&self, method: Method, body: Option<Vec<u8>>) -> Result<()> {
        let url = self.url();
        let timeout = self.timeout();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| Error::connection(method.as_str(), &url, e))?;
        let mut request = match method {
            Method::Put => client.put(&url),
            Method::Post => client.post(&url),
            Method::Delete => client.delete(&url),
        };
        if let Some(body) = body {
            request = request.header("Content-Type", CONTENT_TYPE).body(body);
        }
        if let Some(auth) = self.authorization() {
            request = request.header("Authorization", auth);
        }
        let map = |e: reqwest::Error| {
            if e.is_timeout() {
                Error::timeout(method.as_str(), &url, timeout)
            } else {
                Error::connection(method.as_str(), &url, e)
            }
        };
        let response = request.send().await.map_err(map)?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        // A body that cannot be read still leaves the status to report.
        let text = response.text().await.unwrap_or_default();
        Err(Error::status_error(method.as_str(), &url, status, &text))
    }
}
