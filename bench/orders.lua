-- wrk script: POST /api/v1/orders as the seeded test merchant.
wrk.method = "POST"
wrk.body = '{"amount":50000,"currency":"INR","receipt":"bench","notes":{"source":"wrk"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = os.getenv("BENCH_API_KEY") or "key_test_abc123"
wrk.headers["X-Api-Secret"] = os.getenv("BENCH_API_SECRET") or "secret_test_xyz789"

local non2xx = 0
response = function(status, headers, body)
    if status ~= 201 then
        non2xx = non2xx + 1
    end
end

done = function(summary, latency, requests)
    io.write(string.format("BENCH_RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect +
        summary.errors.read + summary.errors.write + summary.errors.timeout))
end
