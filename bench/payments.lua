-- wrk script: POST /api/v1/payments (UPI) on BENCH_ORDER_ID as the seeded test merchant. The
-- ceiling responder (bench/ceiling/) answers the same request with its bare write.
wrk.method = "POST"
wrk.body = '{"order_id":"' .. (os.getenv("BENCH_ORDER_ID") or "") .. '","method":"upi","vpa":"user@paytm"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Api-Key"] = os.getenv("BENCH_API_KEY") or "key_test_abc123"
wrk.headers["X-Api-Secret"] = os.getenv("BENCH_API_SECRET") or "secret_test_xyz789"

-- Paced load: BENCH_DELAY_MS between the requests of one connection (0: as fast as possible).
local pace = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pace > 0 then
    delay = function()
        return pace
    end
end

local non201 = 0
response = function(status, headers, body)
    if status ~= 201 then
        non201 = non201 + 1
    end
end

done = function(summary, latency, requests)
    io.write(string.format("BENCH_RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect +
        summary.errors.read + summary.errors.write + summary.errors.timeout))
end
