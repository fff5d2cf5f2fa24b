Attribute VB_Name = "Collections"
' The Collections tab's one ribbon callback. Every button names its own use case in addin.excel.ribbon,
' chosen by the control's id; the work is Python's (xlwings RunPython), this module only hands over.
Option Explicit

' The outcomes the Log contact form offers, as addin.app.log's OUTCOMES names them (a test compares them).
Public Const OUTCOMES As String = "called,no-answer,promise,dispute,paid,plan,note,cease"

Public Sub OnAction(control As IRibbonControl)
    If control.Id = "arLogContact" Then
        LogContactForm.Show
    Else
        RunPython PythonCall(control.Id, "")
    End If
End Sub

' The Python statement a button runs: its id, then any keyword arguments already written as Python.
Public Function PythonCall(controlId As String, arguments As String) As String
    Dim extra As String
    If Len(arguments) > 0 Then extra = ", " & arguments
    PythonCall = "import addin.excel.ribbon as ribbon; ribbon.on_button(" & PyStr(controlId) & extra & ")"
End Function

' A Python string literal for any text. Everything but letters, digits and spaces becomes \uXXXX, so
' quotes, backslashes and line breaks typed by the clerk survive the trip through RunPython unchanged.
Public Function PyStr(text As String) As String
    Dim i As Long, c As String, code As Long, out As String
    For i = 1 To Len(text)
        c = Mid$(text, i, 1)
        code = AscW(c) And &HFFFF&
        If (code >= 48 And code <= 57) Or (code >= 65 And code <= 90) Or (code >= 97 And code <= 122) Or code = 32 Then
            out = out & c
        Else
            out = out & "\u" & Right$("000" & Hex$(code), 4)
        End If
    Next i
    PyStr = "'" & out & "'"
End Function

' The customer named on the active row, read under a header cell "Customer" in the sheet's first five rows.
Public Function SelectedCustomer() As String
    Dim r As Long, c As Long
    On Error GoTo none
    For r = 1 To 5
        For c = 1 To 60
            If LCase$(Trim$(CStr(ActiveSheet.Cells(r, c).Value))) = "customer" Then
                If ActiveCell.Row > r Then SelectedCustomer = Trim$(CStr(ActiveSheet.Cells(ActiveCell.Row, c).Value))
                Exit Function
            End If
        Next c
    Next r
none:
End Function
