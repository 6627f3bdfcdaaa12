-- wrk cross-check of bench/load.py: GET /api/v1/systems/@me rotating through the bench tokens (one per request,
-- round robin; wrk has no per-connection hook). Tokens come from the file in $BENCH_TOKENS_TXT, one per line:
--   python -c "import json;print('\n'.join(c['token'] for c in json.load(open('bench/.data/tokens.json'))['clients']))" > bench/.data/tokens.txt
--   BENCH_TOKENS_TXT=bench/.data/tokens.txt wrk -t1 -c64 -d10s --latency -s bench/wrk_tokens.lua http://127.0.0.1:8000
local tokens = {}
local index = 0

function init(args)
  for line in io.lines(os.getenv("BENCH_TOKENS_TXT") or "bench/.data/tokens.txt") do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
end

function request()
  index = index % #tokens + 1
  return wrk.format("GET", "/api/v1/systems/@me", { ["Authorization"] = "Bearer " .. tokens[index] })
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("non2xx+socket errors: status %d connect %d read %d write %d timeout %d\n",
    errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
