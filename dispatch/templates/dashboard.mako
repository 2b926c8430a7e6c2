<%inherit file="base.mako"/>
<h1>督办看板 · ${month}</h1>
<form method="get" action="/dashboard" class="inline">
  <label>月份 <input name="month" value="${month}" pattern="\d{4}-\d{2}"></label> <button type="submit">查看</button>
</form>
<h2>三率（按主办单位）</h2>
<table class="rates">
<thead><tr><th>单位</th><th>类型</th><th>派单数</th><th>响应率</th><th>解决率</th><th>满意率</th><th>一事一评均分</th></tr></thead>
<tbody>
% for r in rates:
<tr><td>${r.unit}</td><td>${kinds.get(r.kind, r.kind)}</td><td>${r.dispatched}</td>
<td>${pct(r.response_rate)}</td><td>${pct(r.resolution_rate)}</td><td>${pct(r.satisfaction_rate)}</td><td>${r.score}</td></tr>
% endfor
</tbody>
</table>
% if rates:
<img class="chart" src="/dashboard/rates.png?month=${month}" alt="各单位三率柱状图">
% else:
<p class="empty">本月暂无派单</p>
% endif
<h2>高频问题（未诉先办）</h2>
<table class="hotspots">
<thead><tr><th>街道</th><th>高频问题（件数）</th></tr></thead>
<tbody>
% for street, cats in hot.items():
<tr><td>${street}${"（治理类）" if street in governance else ""}</td>
<td>${"；".join(f"{c.split('/')[-1]}（{n}）" for c, n in cats)}</td></tr>
% endfor
</tbody>
</table>
<h2>治理类街道</h2>
<p class="governance">${"、".join(governance) if governance else "无（近六个月内三次进入月度诉求量前十的街道）"}</p>
