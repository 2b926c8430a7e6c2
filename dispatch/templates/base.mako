<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · 12345 派单后台</title>
<link rel="stylesheet" href="/static/dispatch.css">
</head>
<body>
<header>
  <strong>12345 接诉即办 · 派单后台</strong>
  % if user:
  <span class="who">${user.display_name}（${roles[user.role]}${"，" + user.unit_name if user.unit_name else ""}）</span>
  <form method="post" action="/logout" class="inline"><button type="submit">退出</button></form>
  % endif
</header>
<main>
% if message:
<p class="flash ok" role="status">${message}</p>
% endif
% if error:
<p class="flash err" role="alert">${error}</p>
% endif
${self.body()}
</main>
</body>
</html>
