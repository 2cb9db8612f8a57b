-- wrk script: a GET with the test merchant's credentials (path given on the command line).
wrk.headers["X-Api-Key"] = os.getenv("BENCH_API_KEY") or "key_test_abc123"
wrk.headers["X-Api-Secret"] = os.getenv("BENCH_API_SECRET") or "secret_test_xyz789"

done = function(summary, latency, requests)
    io.write(string.format("BENCH_RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect +
        summary.errors.read + summary.errors.write + summary.errors.timeout))
end
