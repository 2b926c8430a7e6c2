<%inherit file="base.mako"/>
<%! LIGHTS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"} %>
<h1>${heading}</h1>
% if not tickets:
<p class="empty">暂无待办工单</p>
% endif
<table class="tickets">
<thead><tr><th>灯</th><th>工单号</th><th>状态</th><th>诉求</th><th>地址</th><th>时限</th><th>单位</th><th>操作</th></tr></thead>
<tbody>
% for t in tickets:
<tr id="t-${t['id']}" data-status="${t['status']}" data-light="${t.get('light', '')}">
  <td><span class="light ${t.get('light', '')}" title="${LIGHTS.get(t.get('light', ''), '')}">${LIGHTS.get(t.get('light', ''), '—')}</span></td>
  <td>${t['id']}${"（协办）" if t.get('role') == 'assist' else ""}${"（挂账）" if t['tracked'] else ""}</td>
  <td class="status">${t['status_label']}</td>
  <td class="text">${t['text']}<br><small>${t['appeal_type']} · ${(t['category'] or {}).get('l3') or ''}</small></td>
  <td>${t['address'] or ''}</td>
  <td>${t['deadline_label']}<br><small>${t['tier_label']}</small></td>
  <td>${"、".join(t['units'])}</td>
  <td class="actions">
  % for action, label, field in actions_for(t):
    <form method="post" action="/workbench/tickets/${t['id']}/${action}">
      % if field == "note":
      <input name="note" placeholder="${label}说明" aria-label="${label}说明">
      % elif field == "units":
      <input name="units" placeholder="主办单位、协办单位" aria-label="派往单位">
      % elif field == "days":
      <input name="days" type="number" min="1" max="30" value="5" aria-label="延期工作日">
      % endif
      <button type="submit" name="do" value="${action}">${label}</button>
    </form>
  % endfor
  </td>
</tr>
% endfor
</tbody>
</table>
