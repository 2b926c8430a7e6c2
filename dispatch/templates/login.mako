<%inherit file="base.mako"/>
<h1>登录</h1>
<form method="post" action="/login" class="login">
  <label>用户名 <input name="username" autocomplete="username" required></label>
  <label>密码 <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">登录</button>
</form>
