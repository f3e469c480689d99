-- wrk script: POST JSON envelopes as Alexa would. BENCH_MIX names one envelope file, or several separated
-- by ":" (a conversation mix: launch, start, next x5, stop is one pass), which each wrk thread sends in
-- order, round and round. Each request comes from one of BENCH_USERS runners (default 1000): the test
-- user id is replaced, so per-user state behaves as under real traffic rather than one row taking every write.
local bodies = {}
for path in string.gmatch(assert(os.getenv("BENCH_MIX"), "BENCH_MIX must name envelope files"), "[^:]+") do
  local file = assert(io.open(path, "r"))
  bodies[#bodies + 1] = file:read("*a")
  file:close()
end
local users = tonumber(os.getenv("BENCH_USERS") or "1000")
local turn = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  turn = turn % #bodies + 1
  local personal = bodies[turn]:gsub("TESTUSER", "BENCH" .. math.random(users))
  return wrk.format("POST", nil, nil, personal)
end
